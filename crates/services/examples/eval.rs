//! Prints how well the objection classifier does on the labelled sets: per-class precision,
//! recall and F1, macro-F1 and the confusions, for the tuning set and the held-out set
//! (`make eval`). Misclassified items are listed for the tuning set only, the set patterns are
//! tuned on; pass `--misses` to list the held-out ones too.

use konqer_services::objection::eval::{evaluate, parse_jsonl};

const TUNING: &str = include_str!("../data/objection/eval_tuning.jsonl");
const HELDOUT: &str = include_str!("../data/objection/eval_heldout.jsonl");
/// Written by a second engineer who had not seen the patterns, scored once (see the data
/// README): the better estimate of accuracy on unfamiliar phrasing.
const INDEPENDENT: &str = include_str!("../data/objection/eval_independent.jsonl");

fn main() {
    let show_heldout_misses = std::env::args().any(|a| a == "--misses");
    for (name, data, show_misses) in [
        ("tuning", TUNING, true),
        ("held-out", HELDOUT, show_heldout_misses),
        ("independent held-out", INDEPENDENT, show_heldout_misses),
    ] {
        let items = match parse_jsonl(data) {
            Ok(items) => items,
            Err(e) => {
                eprintln!("{name} set: {e}");
                std::process::exit(1);
            }
        };
        let report = evaluate(&items);
        println!("== {name} set ({} items)\n{report}\n", items.len());
        if show_misses {
            for miss in &report.misses {
                println!(
                    "  {} [{} → {}] {}",
                    miss.id,
                    miss.gold.as_str(),
                    miss.predicted.as_str(),
                    miss.text
                );
            }
            println!();
        }
    }
}
