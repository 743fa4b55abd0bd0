//! The operations summary of a batch (an eval or a replay): the page an on-call engineer reads on
//! Monday. Top failure categories and rules, the most common fingerprints, what happened to the
//! retries, and the remediation for each top class.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::taxonomy::{Action, Category};

/// How many rows each top list keeps.
const TOP: usize = 10;

/// One diagnosed failure of the batch.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) id: String,
    pub(crate) category: Category,
    pub(crate) rule_id: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) fingerprint: String,
    /// The recommended (or decided) action.
    pub(crate) action: Option<Action>,
    /// What became of it: a replay outcome (`auto_recovered`, …) or an eval verdict.
    pub(crate) outcome: String,
    pub(crate) remediation: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Count {
    pub(crate) name: String,
    pub(crate) count: usize,
    pub(crate) share: f64,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct RuleRow {
    pub(crate) rule_id: String,
    pub(crate) category: Category,
    pub(crate) title: String,
    pub(crate) count: usize,
    /// The rule's remediation, as filled in for its first case.
    pub(crate) remediation: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct FingerprintRow {
    pub(crate) fingerprint: String,
    pub(crate) category: Category,
    pub(crate) rule_id: Option<String>,
    pub(crate) count: usize,
    pub(crate) example: String,
}

/// The summary's content, as the `summary.md.j2` template sees it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Summary {
    /// What the batch was (`eval of ../corpus`, `replay of storm.ndjson`).
    pub(crate) source: String,
    pub(crate) failures: usize,
    pub(crate) categories: Vec<Count>,
    pub(crate) rules: Vec<RuleRow>,
    pub(crate) fingerprints: Vec<FingerprintRow>,
    pub(crate) actions: Vec<Count>,
    pub(crate) outcomes: Vec<Count>,
    /// What the batch ran with (digests, seed), a line each.
    pub(crate) provenance: Vec<String>,
}

fn counts<'a>(names: impl Iterator<Item = &'a str>, total: usize) -> Vec<Count> {
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for n in names {
        *by.entry(n).or_insert(0) += 1;
    }
    let mut rows: Vec<Count> = by
        .into_iter()
        .map(|(name, count)| Count {
            name: name.to_owned(),
            count,
            share: count as f64 / total.max(1) as f64,
        })
        .collect();
    // Most first; equal counts in name order, so the page is the same for the same batch.
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    rows
}

/// Builds the summary of `items` (failures only; passing jobs are not the on-call's business).
pub(crate) fn summarize(source: &str, items: &[Item]) -> Summary {
    let total = items.len();
    let mut rules: BTreeMap<&str, RuleRow> = BTreeMap::new();
    let mut fingerprints: BTreeMap<&str, FingerprintRow> = BTreeMap::new();
    for item in items {
        if let Some(rule) = &item.rule_id {
            let row = rules.entry(rule).or_insert_with(|| RuleRow {
                rule_id: rule.clone(),
                category: item.category,
                title: item.title.clone().unwrap_or_default(),
                count: 0,
                remediation: item.remediation.clone(),
            });
            row.count += 1;
        }
        let row = fingerprints
            .entry(&item.fingerprint)
            .or_insert_with(|| FingerprintRow {
                fingerprint: item.fingerprint.clone(),
                category: item.category,
                rule_id: item.rule_id.clone(),
                count: 0,
                example: item.id.clone(),
            });
        row.count += 1;
    }
    let mut rules: Vec<RuleRow> = rules.into_values().collect();
    rules.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    rules.truncate(TOP);
    let mut fingerprints: Vec<FingerprintRow> = fingerprints.into_values().collect();
    fingerprints.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    });
    fingerprints.truncate(TOP);
    let mut categories = counts(items.iter().map(|i| i.category.as_str()), total);
    categories.truncate(TOP);
    Summary {
        source: source.to_owned(),
        failures: total,
        categories,
        rules,
        fingerprints,
        actions: counts(
            items
                .iter()
                .map(|i| i.action.map_or("none", Action::as_str)),
            total,
        ),
        outcomes: counts(items.iter().map(|i| i.outcome.as_str()), total),
        provenance: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, category: Category, rule: &str, fp: &str, outcome: &str) -> Item {
        Item {
            id: id.to_owned(),
            category,
            rule_id: Some(rule.to_owned()),
            title: Some(format!("{rule} title")),
            fingerprint: fp.to_owned(),
            action: Some(Action::Retry),
            outcome: outcome.to_owned(),
            remediation: vec![format!("fix {id}")],
        }
    }

    #[test]
    fn ranks_by_count_then_name() {
        let items = [
            item("a", Category::Network, "net-x", "v1:1", "auto_recovered"),
            item("b", Category::Network, "net-x", "v1:1", "budget_exhausted"),
            item("c", Category::Lint, "lint-y", "v1:2", "manual_fix"),
            item("d", Category::Auth, "auth-z", "v1:3", "escalated"),
        ];
        let s = summarize("test", &items);
        let cats: Vec<(&str, usize)> = s
            .categories
            .iter()
            .map(|c| (c.name.as_str(), c.count))
            .collect();
        assert_eq!(cats, [("network", 2), ("auth", 1), ("lint", 1)]);
        assert_eq!(s.categories[0].share, 0.5);
        assert_eq!(
            (s.rules[0].rule_id.as_str(), s.rules[0].count),
            ("net-x", 2)
        );
        assert_eq!(s.rules[0].remediation, ["fix a"]);
        assert_eq!(
            (
                s.fingerprints[0].fingerprint.as_str(),
                s.fingerprints[0].example.as_str()
            ),
            ("v1:1", "a")
        );
        let outcomes: Vec<&str> = s.outcomes.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            outcomes,
            [
                "auto_recovered",
                "budget_exhausted",
                "escalated",
                "manual_fix"
            ]
        );
    }
}
