//! Each work package's current lane, as the Python CLI's status reducer computes it.

use std::collections::{BTreeMap, HashSet};

use crate::log::LaneRow;

/// A work package's state after its last applied transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WpState {
    /// The current lane.
    pub lane: String,
    /// Who made the last applied move.
    pub actor: Option<String>,
    /// When.
    pub at: String,
    /// The last applied transition.
    pub last_event_id: String,
    /// Forced moves so far.
    pub force_count: u64,
}

/// A reviewer's rollback: `for_review` back to `in_progress` with a review reference.
fn is_rollback(row: &LaneRow) -> bool {
    row.from_lane == "for_review" && row.to_lane == "in_progress" && row.review_ref.is_some()
}

/// Replays `rows` into each work package's state: duplicates (by `event_id`, the first
/// kept) dropped, ordered by `(at, event_id)` as written (text order, as Python compares
/// them), the later transition wins, except that of two transitions at the same instant
/// a reviewer's rollback beats a forward move.
#[must_use]
pub fn reduce(rows: &[LaneRow]) -> BTreeMap<String, WpState> {
    let mut seen = HashSet::new();
    let mut unique: Vec<&LaneRow> = rows
        .iter()
        .filter(|r| seen.insert(r.event_id.as_str()))
        .collect();
    unique.sort_by(|a, b| (&a.at, &a.event_id).cmp(&(&b.at, &b.event_id)));
    let by_id: std::collections::HashMap<&str, &LaneRow> =
        unique.iter().map(|r| (r.event_id.as_str(), *r)).collect();
    let mut states: BTreeMap<String, WpState> = BTreeMap::new();
    for row in unique {
        let previous = states.get(&row.wp_id);
        if let Some(current) = previous
            && current.at == row.at
        {
            let setter_is_rollback = by_id
                .get(current.last_event_id.as_str())
                .is_some_and(|r| is_rollback(r));
            if setter_is_rollback && !is_rollback(row) {
                continue; // a forward move does not beat a concurrent rollback
            }
        }
        let force_count = previous.map_or(0, |s| s.force_count) + u64::from(row.force);
        states.insert(
            row.wp_id.clone(),
            WpState {
                lane: row.to_lane.clone(),
                actor: row.actor.clone(),
                at: row.at.clone(),
                last_event_id: row.event_id.clone(),
                force_count,
            },
        );
    }
    states
}
