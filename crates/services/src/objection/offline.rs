//! The offline answer: the four parts rendered from fixed templates per objection type and
//! language, filled only with what the user typed (product, competitor, price, deal stage)
//! and the chosen illustrative case study. It states no figures of its own: any number in the
//! answer is one the user supplied.

use super::cases::CaseStudy;
use super::classify::ObjectionType;
use super::{Context, Stage, Structure};
use crate::cold_dm::{Language, Tone};

/// The user's facts, or neutral wording where they gave none.
struct Slots<'a> {
    product: &'a str,
    competitor: Option<&'a str>,
    price: Option<&'a str>,
    next: &'static str,
}

pub(crate) fn render(
    kind: ObjectionType,
    language: Language,
    tone: Tone,
    context: &Context,
    case: &CaseStudy,
) -> Structure {
    let fr = language == Language::Fr;
    let slots = Slots {
        product: context.product.as_deref().unwrap_or(if fr {
            "notre solution"
        } else {
            "our solution"
        }),
        competitor: context.competitor.as_deref(),
        price: context.price.as_deref(),
        next: next_step(context.stage, fr),
    };
    let (empathy, reframe, action) = if fr {
        french(kind, &slots)
    } else {
        english(kind, &slots)
    };
    let evidence = if fr {
        format!(
            "Pour illustrer, voici un scénario type ({}). {} {}",
            case.fr.customer_profile, case.fr.situation, case.fr.result
        )
    } else {
        format!(
            "To make it concrete, here is an illustrative scenario ({}). {} {}",
            case.customer_profile, case.situation, case.result
        )
    };
    Structure {
        empathy: format!("{} {empathy}", opener(tone, fr)),
        reframe,
        evidence,
        action,
    }
}

/// The first words of the answer, which carry the tone.
fn opener(tone: Tone, fr: bool) -> &'static str {
    match (tone, fr) {
        (Tone::Professional, false) => "That's a fair concern.",
        (Tone::Friendly, false) => "Thanks for being upfront about it, that's a fair point.",
        (Tone::Direct, false) => "Fair point.",
        (Tone::Professional, true) => "C'est une préoccupation légitime.",
        (Tone::Friendly, true) => {
            "Merci de me le dire franchement, c'est tout à fait compréhensible."
        }
        (Tone::Direct, true) => "Point légitime.",
    }
}

/// The next step offered in the action, fitted to where the deal stands.
fn next_step(stage: Option<Stage>, fr: bool) -> &'static str {
    match (stage, fr) {
        (None, false) => "a short call",
        (Some(Stage::Discovery), false) => "a short discovery call",
        (Some(Stage::Demo), false) => "a follow-up demo on your own use case",
        (Some(Stage::Proposal), false) => "a walkthrough of the proposal",
        (Some(Stage::Negotiation), false) => "a working session on the terms",
        (Some(Stage::Closing), false) => "a last call to settle the open points",
        (None, true) => "un court échange",
        (Some(Stage::Discovery), true) => "un court appel de découverte",
        (Some(Stage::Demo), true) => "une démo de suivi sur votre propre cas",
        (Some(Stage::Proposal), true) => "une revue de la proposition",
        (Some(Stage::Negotiation), true) => "une séance de travail sur les conditions",
        (Some(Stage::Closing), true) => "un dernier échange pour régler les points ouverts",
    }
}

fn english(kind: ObjectionType, s: &Slots) -> (String, String, String) {
    let (product, next) = (s.product, s.next);
    let competitor = s
        .competitor
        .unwrap_or("the alternative you are considering");
    match kind {
        ObjectionType::Price => (
            format!(
                "Any new line item{} has to earn its place in the budget, and it should.",
                s.price.map(|p| format!(" at {p}")).unwrap_or_default()
            ),
            format!("The useful comparison is not the price on its own but the cost of {product} against what it gives back: hours your team no longer spends on repetitive work, and conversations that would not happen otherwise. If that value does not clearly exceed the cost, you should not buy it."),
            format!(
                "Would you be open to {next} where we put your own figures next to {}, so you can judge whether {product} pays for itself?",
                s.price.unwrap_or("the price")
            ),
        ),
        ObjectionType::Timing => (
            "When the calendar is already full, one more project is the last thing anyone wants.".to_owned(),
            format!("The real question is what waiting costs: while the decision waits, the problem {product} solves keeps costing time and pipeline, and next quarter rarely turns out calmer than this one. A small start now is often lighter than a bigger project later."),
            format!("Could we agree on a small first step now and put {next} in the calendar on a date that suits you?"),
        ),
        ObjectionType::Competitor => (
            match s.competitor {
                Some(c) => format!("{c} is a serious option, and comparing carefully before you commit is the right call."),
                None => "Comparing the options carefully before you commit is the right call.".to_owned(),
            },
            format!("{} has real strengths. What matters is which differences count for your team: where {product} fits your process better, and where it honestly does not. Comparing on the few criteria you care about most says more than any feature list.",
                s.competitor.unwrap_or("Every serious option")),
            format!("Would you be open to {next} where we compare {product} and {competitor} on the criteria that matter most to you?"),
        ),
        ObjectionType::Authority => (
            "Decisions like this rarely rest on one person, and bringing the right people in is the right move.".to_owned(),
            "You know the people who decide better than I do. My job is to make it easy for you to bring this to them: the problem, the expected value and the risks, in their language rather than in a sales pitch.".to_owned(),
            format!("Who else should be involved, and would it help if I prepared a short written summary for them ahead of {next}?"),
        ),
        ObjectionType::Need => (
            "If there is no real problem to solve, there is no reason to buy anything, and I would rather find that out with you now than waste your time.".to_owned(),
            "Could I ask a couple of questions to check? A need often stays invisible because its cost is spread over everyday work: manual steps, follow-ups that slip, opportunities nobody has time for. If none of that applies to you, we will both know quickly.".to_owned(),
            format!("Would you be open to {next} to walk through how this works in your team today, on the understanding that I will tell you plainly if there is no fit?"),
        ),
        ObjectionType::Trust => (
            "You should not take a vendor's word for it, especially for a tool your team would rely on every day.".to_owned(),
            format!("Trust should be earned with evidence, not promises. The fair way is to look at how teams like yours have used {product}, then test it on your own case with a start small enough to carry no real risk."),
            format!("Would a small, low-risk pilot on your own use case, reviewed together in {next}, be a fair way to judge it?"),
        ),
        ObjectionType::StatusQuo => (
            "If the way you work today does the job, changing it needs a very good reason.".to_owned(),
            "Keeping things as they are is also a decision, and it has a cost: the time the current way takes, and what it keeps your team from doing. The real question is whether that cost is higher than the effort of changing, and the change can be much smaller than replacing everything.".to_owned(),
            format!("Would you be open to {next} to estimate together what the current way costs you, before deciding whether anything should change?"),
        ),
    }
}

fn french(kind: ObjectionType, s: &Slots) -> (String, String, String) {
    let (product, next) = (s.product, s.next);
    let competitor = s.competitor.unwrap_or("l'alternative que vous envisagez");
    match kind {
        ObjectionType::Price => (
            format!(
                "Toute nouvelle dépense{} doit mériter sa place dans le budget, et c'est normal.",
                s.price.map(|p| format!(" à {p}")).unwrap_or_default()
            ),
            format!("La bonne comparaison n'est pas le prix seul, mais le coût de {product} face à ce que cela rapporte : le temps que votre équipe ne passe plus sur des tâches répétitives, et les échanges qui n'auraient pas eu lieu autrement. Si cette valeur ne dépasse pas nettement le coût, vous ne devriez pas acheter."),
            format!(
                "Seriez-vous d'accord pour {next} où nous mettrions vos propres chiffres en face de {}, pour juger si {product} est rentable pour vous ?",
                s.price.unwrap_or("son prix")
            ),
        ),
        ObjectionType::Timing => (
            "Quand l'agenda est déjà plein, un projet de plus est la dernière chose dont on a envie.".to_owned(),
            format!("La vraie question est ce que coûte l'attente : pendant que la décision attend, le problème que {product} résout continue de coûter du temps et du pipeline, et le prochain trimestre est rarement plus calme que celui-ci. Un petit démarrage maintenant est souvent plus léger qu'un gros projet plus tard."),
            format!("Pouvons-nous convenir d'une petite première étape dès maintenant et caler {next} à une date qui vous convient ?"),
        ),
        ObjectionType::Competitor => (
            match s.competitor {
                Some(c) => format!("{c} est une option sérieuse, et comparer avec soin avant de s'engager est la bonne démarche."),
                None => "Comparer les options avec soin avant de s'engager est la bonne démarche.".to_owned(),
            },
            format!("{} a de vrais points forts. Ce qui compte, ce sont les différences qui pèsent pour votre équipe : là où {product} colle mieux à votre façon de travailler, et là où, honnêtement, ce n'est pas le cas. Comparer sur les quelques critères qui comptent le plus pour vous en dit plus qu'une liste de fonctionnalités.",
                s.competitor.unwrap_or("Chaque option sérieuse")),
            format!("Seriez-vous ouvert(e) à {next} où nous comparerions {product} et {competitor} sur les critères qui comptent le plus pour vous ?"),
        ),
        ObjectionType::Authority => (
            "Une décision comme celle-ci repose rarement sur une seule personne, et associer les bonnes personnes est la bonne démarche.".to_owned(),
            "Vous connaissez les décideurs mieux que moi. Mon rôle est de vous faciliter la tâche pour leur présenter le sujet : le problème, la valeur attendue et les risques, dans leurs termes plutôt que dans un discours commercial.".to_owned(),
            format!("Qui d'autre faudrait-il associer, et une courte synthèse écrite à leur intention avant {next} vous aiderait-elle ?"),
        ),
        ObjectionType::Need => (
            "S'il n'y a pas de vrai problème à résoudre, il n'y a aucune raison d'acheter quoi que ce soit, et je préfère le vérifier avec vous maintenant plutôt que de vous faire perdre du temps.".to_owned(),
            "Puis-je vous poser quelques questions pour vérifier ? Un besoin passe souvent inaperçu parce que son coût est dilué dans le quotidien : des étapes manuelles, des relances qui glissent, des opportunités que personne n'a le temps de traiter. Si rien de cela ne vous concerne, nous le saurons vite.".to_owned(),
            format!("Seriez-vous ouvert(e) à {next} pour passer en revue votre fonctionnement actuel, étant entendu que je vous dirai franchement si cela ne vous correspond pas ?"),
        ),
        ObjectionType::Trust => (
            "Vous n'avez pas à croire un fournisseur sur parole, surtout pour un outil que votre équipe utiliserait tous les jours.".to_owned(),
            format!("La confiance se gagne avec des preuves, pas avec des promesses. Le plus juste est de regarder comment des équipes comparables ont utilisé {product}, puis de faire un essai sur votre propre cas, avec un démarrage assez petit pour ne présenter aucun vrai risque."),
            format!("Un petit pilote sans risque sur votre propre cas, revu ensemble lors d'{next}, serait-il une façon juste d'en juger ?"),
        ),
        ObjectionType::StatusQuo => (
            "Si votre façon de faire actuelle donne satisfaction, la changer demande une très bonne raison.".to_owned(),
            "Garder les choses en l'état est aussi une décision, et elle a un coût : le temps que prend la méthode actuelle, et ce qu'elle empêche votre équipe de faire. La vraie question est de savoir si ce coût dépasse l'effort du changement, et ce changement peut être bien plus petit que de tout remplacer.".to_owned(),
            format!("Seriez-vous ouvert(e) à {next} pour estimer ensemble ce que vous coûte la méthode actuelle, avant de décider s'il faut changer quoi que ce soit ?"),
        ),
    }
}
