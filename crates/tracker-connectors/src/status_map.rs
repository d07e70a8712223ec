//! Which tracker status a work-package lane maps to: a default per provider (Jira by
//! status name, then by status category; Linear by workflow state type, and by name where
//! one type has several states), overridden per lane by the binding's
//! `tracker.status_map` in `.kittify/config.yaml`.

/// Where a lane goes in the tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusTarget {
    /// The status (Jira) or workflow state (Linear) with exactly this name (any case);
    /// from the binding's `status_map`.
    Named(String),
    /// A Jira status: the first of `names` the workflow offers, else (for the lanes a
    /// category names without doubt: `planned` is `new`, `done` is `done`) any status of
    /// `category`.
    Jira {
        /// Names tried in order (any case).
        names: &'static [&'static str],
        /// The status category key that may stand in for the names.
        category: Option<&'static str>,
    },
    /// A Linear workflow state of `state_type` (`unstarted`, `started`, `completed`,
    /// `canceled`): the first of `names` among them, else the first of that type.
    Linear {
        /// The workflow state type.
        state_type: &'static str,
        /// Names preferred in order (any case).
        names: &'static [&'static str],
    },
}

impl std::fmt::Display for StatusTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusTarget::Named(n) => write!(f, "{n:?} (status_map)"),
            StatusTarget::Jira { names, category } => match category {
                Some(c) => write!(f, "{} (else category {c})", names.join(" | ")),
                None => f.write_str(&names.join(" | ")),
            },
            StatusTarget::Linear { state_type, names } => {
                write!(f, "{} state ({})", state_type, names.join(" | "))
            }
        }
    }
}

/// The 8 lanes, in workflow order.
pub const LANE_ORDER: [&str; 8] = event_envelope::LANES;

fn jira_default(lane: &str) -> Option<StatusTarget> {
    // The in-between lanes share the `indeterminate` category and `canceled` shares
    // `done`: for them a category would pick a wrong lane's status, so only names count.
    let (names, category): (&'static [&'static str], Option<&'static str>) = match lane {
        "planned" => (&["To Do", "Backlog", "Open"], Some("new")),
        "claimed" | "in_progress" => (&["In Progress"], None),
        "for_review" => (&["In Review", "Review", "Code Review"], None),
        "approved" => (&["Approved", "In Review"], None),
        "done" => (&["Done", "Closed", "Resolved"], Some("done")),
        "blocked" => (&["Blocked", "On Hold"], None),
        "canceled" => (&["Canceled", "Cancelled", "Won't Do"], None),
        _ => return None,
    };
    Some(StatusTarget::Jira { names, category })
}

fn linear_default(lane: &str) -> Option<StatusTarget> {
    let (state_type, names): (&'static str, &'static [&'static str]) = match lane {
        "planned" => ("unstarted", &["Todo"]),
        "claimed" | "in_progress" => ("started", &["In Progress"]),
        "for_review" => ("started", &["In Review"]),
        "approved" => ("started", &["Approved", "In Review"]),
        "done" => ("completed", &["Done"]),
        "blocked" => ("started", &["Blocked"]),
        "canceled" => ("canceled", &["Canceled", "Cancelled"]),
        _ => return None,
    };
    Some(StatusTarget::Linear { state_type, names })
}

/// The target of `lane` for `provider` (`jira`, `linear`): the binding's `status_map`
/// entry for the lane when there is one, else the provider's default; `None` for a
/// provider without push or a lane outside the 8.
#[must_use]
pub fn status_target(
    provider: &str,
    lane: &str,
    status_map: &[(String, String)],
) -> Option<StatusTarget> {
    if !LANE_ORDER.contains(&lane) {
        return None;
    }
    if let Some((_, name)) = status_map.iter().find(|(l, _)| l == lane) {
        return matches!(provider, "jira" | "linear").then(|| StatusTarget::Named(name.clone()));
    }
    match provider {
        "jira" => jira_default(lane),
        "linear" => linear_default(lane),
        _ => None,
    }
}

/// The effective map of every lane for `provider`, in lane order (for `tracker status`).
#[must_use]
pub fn effective_status_map(
    provider: &str,
    status_map: &[(String, String)],
) -> Vec<(&'static str, Option<StatusTarget>)> {
    LANE_ORDER
        .iter()
        .map(|lane| (*lane, status_target(provider, lane, status_map)))
        .collect()
}

/// `status_map` keys that are not lanes (a typo would otherwise silently do nothing).
#[must_use]
pub fn unknown_lanes(status_map: &[(String, String)]) -> Vec<&str> {
    status_map
        .iter()
        .map(|(l, _)| l.as_str())
        .filter(|l| !LANE_ORDER.contains(l))
        .collect()
}

/// A Jira status as a transition's target describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraStatus {
    /// The status name.
    pub name: String,
    /// The status category key (`new`, `indeterminate`, `done`).
    pub category: String,
}

/// A Linear workflow state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinearState {
    /// The state id (what `issueUpdate` takes).
    pub id: String,
    /// The name.
    pub name: String,
    /// `triage`, `backlog`, `unstarted`, `started`, `completed` or `canceled`.
    pub state_type: String,
}

impl StatusTarget {
    /// Whether a Jira status is this target (name first; a default target also accepts
    /// its category when none of its names is offered, see [`StatusTarget::pick_jira`]).
    #[must_use]
    pub fn matches_jira_name(&self, status: &JiraStatus) -> bool {
        match self {
            StatusTarget::Named(n) => n.eq_ignore_ascii_case(&status.name),
            StatusTarget::Jira { names, .. } => {
                names.iter().any(|n| n.eq_ignore_ascii_case(&status.name))
            }
            StatusTarget::Linear { .. } => false,
        }
    }

    /// The index in `offered` of the Jira status this target picks: by name (in the
    /// target's order), then, for a default target, the first of its category.
    #[must_use]
    pub fn pick_jira(&self, offered: &[JiraStatus]) -> Option<usize> {
        match self {
            StatusTarget::Named(n) => offered.iter().position(|s| n.eq_ignore_ascii_case(&s.name)),
            StatusTarget::Jira { names, category } => names
                .iter()
                .find_map(|n| offered.iter().position(|s| n.eq_ignore_ascii_case(&s.name)))
                .or_else(|| {
                    let c = (*category)?;
                    offered.iter().position(|s| s.category == c)
                }),
            StatusTarget::Linear { .. } => None,
        }
    }

    /// The Linear state this target picks among the team's states: by name for a
    /// `status_map` entry; by type, preferring the target's names, for a default.
    #[must_use]
    pub fn pick_linear<'s>(&self, states: &'s [LinearState]) -> Option<&'s LinearState> {
        match self {
            StatusTarget::Named(n) => states.iter().find(|s| n.eq_ignore_ascii_case(&s.name)),
            StatusTarget::Linear { state_type, names } => {
                let of_type: Vec<&LinearState> = states
                    .iter()
                    .filter(|s| s.state_type == *state_type)
                    .collect();
                names
                    .iter()
                    .find_map(|n| {
                        of_type
                            .iter()
                            .find(|s| n.eq_ignore_ascii_case(&s.name))
                            .copied()
                    })
                    .or_else(|| of_type.first().copied())
            }
            StatusTarget::Jira { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(name: &str, category: &str) -> JiraStatus {
        JiraStatus {
            name: name.into(),
            category: category.into(),
        }
    }

    fn ls(id: &str, name: &str, t: &str) -> LinearState {
        LinearState {
            id: id.into(),
            name: name.into(),
            state_type: t.into(),
        }
    }

    #[test]
    fn every_lane_has_a_default_for_both_providers_and_the_map_overrides_it() {
        for lane in LANE_ORDER {
            assert!(status_target("jira", lane, &[]).is_some(), "{lane}");
            assert!(status_target("linear", lane, &[]).is_some(), "{lane}");
        }
        assert_eq!(status_target("github", "done", &[]), None);
        assert_eq!(status_target("jira", "archived", &[]), None);
        let map = vec![("done".to_owned(), "Shipped".to_owned())];
        assert_eq!(
            status_target("jira", "done", &map),
            Some(StatusTarget::Named("Shipped".into()))
        );
        assert_eq!(unknown_lanes(&[("dnoe".into(), "x".into())]), ["dnoe"]);
    }

    #[test]
    fn jira_picks_by_name_then_by_category() {
        let offered = [
            js("Start", "indeterminate"),
            js("Finished", "done"),
            js("done", "done"),
        ];
        let done = status_target("jira", "done", &[]).unwrap();
        assert_eq!(done.pick_jira(&offered), Some(2), "the name, any case");
        let planned = status_target("jira", "planned", &[]).unwrap();
        assert_eq!(
            planned.pick_jira(&[js("Start", "indeterminate"), js("Idea", "new")]),
            Some(1),
            "else the category"
        );
        let canceled = status_target("jira", "canceled", &[]).unwrap();
        assert_eq!(
            canceled.pick_jira(&offered),
            None,
            "canceled never falls back to done"
        );
        let review = status_target("jira", "for_review", &[]).unwrap();
        assert_eq!(
            review.pick_jira(&offered),
            None,
            "nor a review lane to in-progress"
        );
        let named = StatusTarget::Named("finished".into());
        assert_eq!(named.pick_jira(&offered), Some(1));
        assert_eq!(StatusTarget::Named("Nope".into()).pick_jira(&offered), None);
    }

    #[test]
    fn linear_picks_by_type_and_by_name_where_a_type_has_several_states() {
        let states = [
            ls("1", "Backlog", "backlog"),
            ls("2", "Todo", "unstarted"),
            ls("3", "In Progress", "started"),
            ls("4", "In Review", "started"),
            ls("5", "Done", "completed"),
            ls("6", "Canceled", "canceled"),
        ];
        let pick = |lane: &str| {
            status_target("linear", lane, &[])
                .unwrap()
                .pick_linear(&states)
                .map(|s| s.id.clone())
        };
        assert_eq!(pick("planned").as_deref(), Some("2"));
        assert_eq!(pick("in_progress").as_deref(), Some("3"));
        assert_eq!(pick("for_review").as_deref(), Some("4"));
        assert_eq!(pick("approved").as_deref(), Some("4"));
        assert_eq!(
            pick("blocked").as_deref(),
            Some("3"),
            "no Blocked state: the first started"
        );
        assert_eq!(pick("done").as_deref(), Some("5"));
        assert_eq!(pick("canceled").as_deref(), Some("6"));
    }
}
