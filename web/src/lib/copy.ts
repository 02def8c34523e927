// What each service does, in the words of the marketing site. Names, slugs, prices and
// schemas come from the catalog; only the prose lives here.
export type ServiceCopy = {
  tagline: string;
  description: string;
  outcomes: string[];
  example: { title: string; body: string; facts: [string, string][] };
};

export const copy: Record<string, ServiceCopy> = {
  'cold-dm': {
    tagline: 'LinkedIn messages that read like you did your homework.',
    description:
      'Give it a prospect, their role and what they recently posted. You get a 100–150 word message that references something real, speaks to their job and ends with one soft ask — scored by a fixed rubric, not by the model’s opinion of itself.',
    outcomes: [
      'A personalised opener built only from what you provide — nothing invented',
      'A transparent 0–100 score: reference, role relevance, length, one call to action, no spam words, a soft ask',
      'Concrete suggestions when the score is low',
    ],
    example: {
      title: 'Message to Camille Martin, Head of Growth at Northwind',
      body: 'Hi Camille, your post on cutting onboarding time by a week stuck with me — most growth teams never measure that. At Acme we help B2B teams turn trial users into pipeline without extra headcount…',
      facts: [
        ['Personalisation score', '92 / 100'],
        ['Length', '128 words'],
      ],
    },
  },
  objection: {
    tagline: 'The right answer to “it’s too expensive” — in seconds.',
    description:
      'Paste the objection you just heard. A deterministic classifier trained on a library of real objection patterns (English and French) names the objection, picks the framework that works for it and drafts an answer in four parts: empathy, reframe, evidence, action.',
    outcomes: [
      'Objection type with a confidence you can trust',
      'A proven framework: Cost vs Value, Urgency Creation, Social Proof…',
      'A reply structured in four parts, with a case study to cite',
    ],
    example: {
      title: '“Your tool is more expensive than what we use today.”',
      body: 'Empathy: It makes sense to compare… Reframe: the question is what the gap costs you each month… Evidence: a 40-person logistics team… Action: shall we put your numbers side by side on Thursday?',
      facts: [
        ['Type', 'price · 0.91'],
        ['Framework', 'Cost vs Value'],
      ],
    },
  },
  carousel: {
    tagline: 'Swipe-worthy LinkedIn carousels, ready as a PDF.',
    description:
      'Give it a topic, an audience and your key points. You get 7–12 slides with a hook first and a call to action last, a visual prompt per slide, a reach estimate from a documented model, and a 1080×1350 PDF ready to upload as a LinkedIn document post.',
    outcomes: [
      'A hook, a clear arc and a call to action',
      'A print-ready 1080×1350 PDF in your brand colours',
      'An honest reach range based on your follower count',
    ],
    example: {
      title: '“5 onboarding mistakes that kill B2B trials”',
      body: 'Slide 1 — Your trial isn’t failing. Your first 10 minutes are. Slide 2 — Mistake #1: asking for a credit card before value…',
      facts: [
        ['Slides', '10'],
        ['Estimated reach', '1,200 – 3,400'],
      ],
    },
  },
  battlecards: {
    tagline: 'Win the competitive deal before the call starts.',
    description:
      'One-page battlecards for every competitor you meet: where you win, where you lose, the traps to set and the questions to ask, kept short enough to read during the call.',
    outcomes: ['Strengths and weaknesses side by side', 'Landmine questions', 'Answers to the competitor’s pitch'],
    example: {
      title: 'Acme vs Globex',
      body: 'Where we win: time to value, EU data residency. Where they win: brand recognition. Ask: “How long did your last rollout take?”',
      facts: [['Sections', '6']],
    },
  },
  'community-finder': {
    tagline: 'Find the communities where your buyers already talk.',
    description:
      'Describe your ideal customer and get the Slack groups, forums, subreddits and newsletters where they spend time, ranked by fit and activity, with how to join without being the spammer.',
    outcomes: ['Communities ranked by audience fit', 'Rules of engagement per community', 'First posts that give before they ask'],
    example: { title: 'RevOps leaders in Europe', body: '1. RevOps Co-op (Slack) — fit 92…', facts: [['Communities', '15']] },
  },
  'cold-email': {
    tagline: 'Cold emails that get replies, not spam flags.',
    description:
      'Sequences of short, specific cold emails with subject lines that survive the spam filter, checked against deliverability rules before you send them.',
    outcomes: ['3-step sequences with follow-ups', 'Subject lines tested against spam triggers', 'Plain-text, mobile-friendly copy'],
    example: { title: 'Sequence for VP Sales, SaaS 50–200', body: 'Subject: your Q3 pipeline review…', facts: [['Steps', '3']] },
  },
  'pitch-deck': {
    tagline: 'An investor-ready deck structure in an afternoon.',
    description:
      'From your notes to a 12-slide narrative investors expect — problem, solution, market, traction, team, ask — with speaker notes and the numbers each slide needs.',
    outcomes: ['The classic 12-slide arc', 'Speaker notes per slide', 'A checklist of missing proof points'],
    example: { title: 'Seed deck — Northwind', body: 'Slide 2 — Problem: finance teams lose 6 hours a week…', facts: [['Slides', '12']] },
  },
  whitepaper: {
    tagline: 'Long-form authority content without the six-week project.',
    description:
      'Outline, draft and structure a whitepaper that positions you as the expert, with an executive summary, chapters and calls to action your sales team can use.',
    outcomes: ['A structured outline', 'Executive summary', 'Chapter drafts with sources you supply'],
    example: { title: 'The state of outbound in 2026', body: 'Executive summary — outbound is not dead…', facts: [['Chapters', '6']] },
  },
  'deck-heatmap': {
    tagline: 'See your deck the way an investor skims it.',
    description:
      'Upload your deck outline and get a slide-by-slide attention heatmap: where investors slow down, where they skip, and what to fix first.',
    outcomes: ['Slide-by-slide attention score', 'The three fixes that matter most', 'Benchmarks by stage'],
    example: { title: 'Series A deck review', body: 'Slide 7 (market) loses attention — lead with the bottom-up number…', facts: [['Slides scored', '14']] },
  },
  webinar: {
    tagline: 'Know a webinar will fill before you book the speaker.',
    description:
      'Test webinar topics against real demand signals and get the angle, title and promotion plan most likely to fill the room with buyers.',
    outcomes: ['Demand score per topic', 'Title variants', 'A 3-week promotion plan'],
    example: { title: 'Topic: AI in outbound', body: 'Demand: high among SDR managers; angle: “what to automate, what never to”…', facts: [['Topics compared', '5']] },
  },
  warmranker: {
    tagline: 'Warm up the right inboxes first.',
    description:
      'Rank your email list by warmth — engagement, fit and timing — so your best prospects hear from you when they are most likely to answer.',
    outcomes: ['A warmth score per contact', 'Segments to contact this week', 'Reasons for every rank'],
    example: { title: '1,240 contacts ranked', body: 'Top segment: 86 contacts opened twice in 14 days…', facts: [['Contacts', '1,240']] },
  },
  'no-show-shield': {
    tagline: 'Fewer empty calendar slots, without nagging.',
    description:
      'Predict which booked meetings are at risk of a no-show and send the reminder, agenda or reschedule offer that keeps them on the calendar.',
    outcomes: ['Risk score per meeting', 'Reminder copy that adds value', 'A reschedule offer before it is too late'],
    example: { title: 'This week’s demos', body: '3 meetings at high risk: booked more than 10 days ago, no agenda…', facts: [['Meetings', '18']] },
  },
};

export const faq: { q: string; a: string }[] = [
  {
    q: 'What is the Founding Membership?',
    a: 'One yearly payment gives you all twelve services as they are released: three on launch day, the others on a published schedule over the following four weeks. The price is fixed for as long as you stay a member.',
  },
  {
    q: 'Can I start with just one service?',
    a: 'Yes. Each service is available on its own, monthly or yearly, and you can add the bundle later. We never charge twice for the same service.',
  },
  {
    q: 'Which AI model writes the output?',
    a: 'Any OpenAI-compatible model your workspace is configured with. The parts you rely on — scores, classifications, rankings — come from deterministic code, so they do not change with the model’s mood.',
  },
  {
    q: 'Is there an API?',
    a: 'Every service runs from the dashboard and from the HTTP API with the same account, the same quota and the same results. The OpenAPI document is at /api/openapi.json.',
  },
  {
    q: 'How do I cancel?',
    a: 'From Billing → Manage subscription, at any time. You keep access until the end of the period you paid for.',
  },
];
