//! Case studies that back the evidence part of an answer. They are illustrative composite
//! examples (no real customer names, no real statistics) kept in
//! `data/objection/case_studies.json` with stable ids, so the API can serve them and a
//! customer can replace them with their own stories.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::classify::ObjectionType;
use super::Stage;

/// One illustrative case study, in English with its French version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseStudy {
    /// Stable id, e.g. `cs-price-01`.
    pub id: String,
    pub objection_type: ObjectionType,
    /// Always true: these are composite examples, not accounts of real customers.
    pub illustrative: bool,
    /// The deal stages this story fits best; the first fitting one is chosen.
    pub stages: Vec<Stage>,
    pub title: String,
    /// Anonymised, e.g. "40-person B2B logistics SaaS".
    pub customer_profile: String,
    pub situation: String,
    pub result: String,
    pub fr: Localized,
}

/// The French text of a case study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    pub title: String,
    pub customer_profile: String,
    pub situation: String,
    pub result: String,
}

#[derive(Deserialize)]
struct File {
    case_studies: Vec<CaseStudy>,
}

/// Every case study, in file order.
pub fn case_studies() -> &'static [CaseStudy] {
    static CASES: OnceLock<Vec<CaseStudy>> = OnceLock::new();
    CASES.get_or_init(|| {
        let file: File =
            serde_json::from_str(include_str!("../../data/objection/case_studies.json"))
                .expect("case_studies.json is valid (checked by the unit tests)");
        file.case_studies
    })
}

/// The case study with this id.
pub fn case_study(id: &str) -> Option<&'static CaseStudy> {
    case_studies().iter().find(|c| c.id == id)
}

/// The story told for an objection: the first of its type that fits the deal stage, or the
/// first of its type.
pub(crate) fn pick(kind: ObjectionType, stage: Option<Stage>) -> &'static CaseStudy {
    let of_kind = || {
        case_studies()
            .iter()
            .filter(move |c| c.objection_type == kind)
    };
    stage
        .and_then(|stage| of_kind().find(|c| c.stages.contains(&stage)))
        .or_else(|| of_kind().next())
        .expect("every objection type has a case study (checked by the unit tests)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_type_has_two_illustrative_case_studies_with_unique_ids() {
        let cases = case_studies();
        let ids: BTreeSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids.len(), cases.len());
        for kind in ObjectionType::ALL {
            let of_kind: Vec<_> = cases.iter().filter(|c| c.objection_type == kind).collect();
            assert!(of_kind.len() >= 2, "{kind:?}");
            for case in of_kind {
                assert!(case.id.starts_with(&format!("cs-{}-", kind.as_str())));
                assert!(case.illustrative && !case.stages.is_empty(), "{}", case.id);
                for text in [
                    &case.title,
                    &case.customer_profile,
                    &case.situation,
                    &case.result,
                    &case.fr.title,
                    &case.fr.customer_profile,
                    &case.fr.situation,
                    &case.fr.result,
                ] {
                    assert!(!text.trim().is_empty(), "{}", case.id);
                    assert!(!text.contains('%'), "{}: no statistics", case.id);
                }
            }
        }
    }

    #[test]
    fn the_stage_chooses_among_the_stories_of_a_type() {
        assert_eq!(pick(ObjectionType::Price, None).id, "cs-price-01");
        assert_eq!(
            pick(ObjectionType::Price, Some(Stage::Discovery)).id,
            "cs-price-01"
        );
        assert_eq!(
            pick(ObjectionType::Price, Some(Stage::Negotiation)).id,
            "cs-price-02"
        );
        assert_eq!(
            case_study("cs-trust-02").map(|c| c.objection_type),
            Some(ObjectionType::Trust)
        );
        assert!(case_study("cs-nope-01").is_none());
    }
}
