//! The tracker push: move a mapped issue to the status that matches its work package's
//! lane, and nothing else (never create, delete, reassign, retitle or comment).
//!
//! Per issue: read its current status and `updated`; already at the target: `unchanged`;
//! changed remotely since the last pull (remote `updated` newer than the cached one and a
//! status other than the cached one): `conflict`, unless forced; else the transition (Jira)
//! or state update (Linear) that reaches the target.

use http_transport::{RequestPlan, Secret, Transport, TransportError, join_url};
use jiff::Timestamp;
use serde_json::{Value, json};
use spec_kitty_home::Credentials;
use tracker_store::IssueStatus;

use crate::error::ConnectorError;
use crate::status_map::{JiraStatus, StatusTarget};

/// One mapped work package to push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRequest {
    /// The work package.
    pub wp_id: String,
    /// Its current lane.
    pub lane: String,
    /// The mapped issue's id (Jira's numeric id, Linear's uuid).
    pub issue_id: String,
    /// Its key (`ACME-1`), when mapped with one.
    pub issue_key: Option<String>,
    /// The cached issue's canonical status (`in_progress`...), when the cache has it.
    pub cached_status: Option<String>,
    /// The cached issue's `updated_at`, when the cache has it.
    pub cached_updated: Option<String>,
}

/// What a push did to one issue.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Moved from one status to another (or, in a dry run, would be).
    Changed {
        /// The status before.
        from: String,
        /// The status after.
        to: String,
    },
    /// Already at the target status.
    Unchanged {
        /// The status.
        status: String,
    },
    /// Changed remotely since the last pull: not touched (pass force to move it anyway).
    Conflict {
        /// The cached status and `updated`.
        cached: String,
        /// The remote status and `updated`.
        remote: String,
    },
    /// No transition reaches the target from the current status.
    NoTransition {
        /// The current status.
        current: String,
        /// What the target was.
        target: String,
        /// The statuses the workflow offers from here.
        available: Vec<String>,
    },
    /// The issue does not exist remotely (deleted); its mapping is kept, nothing created.
    NotFound,
}

impl Outcome {
    /// The word a report uses: `changed`, `unchanged`, `conflict`, `no_transition`,
    /// `not_found`.
    #[must_use]
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Changed { .. } => "changed",
            Outcome::Unchanged { .. } => "unchanged",
            Outcome::Conflict { .. } => "conflict",
            Outcome::NoTransition { .. } => "no_transition",
            Outcome::NotFound => "not_found",
        }
    }
}

/// The status the cache should now hold for an issue a push moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStatus {
    /// The canonical status.
    pub status: IssueStatus,
    /// The issue's new `updated` (the time of the move, as near as this side knows it).
    pub updated: String,
}

fn older(cached: Option<&str>, remote: Option<&str>) -> bool {
    match (
        cached.and_then(|c| c.parse::<Timestamp>().ok()),
        remote.and_then(parse_jira_time),
    ) {
        (Some(c), Some(r)) => r > c,
        // Nothing cached to compare with: not a conflict.
        _ => false,
    }
}

/// The conflict rule: changed remotely since the last pull (the remote `updated` newer
/// than the cached one) to a status other than the cached one.
fn conflict(
    req: &PushRequest,
    remote_name: &str,
    remote_canonical: &IssueStatus,
    remote_updated: Option<&str>,
) -> Option<Outcome> {
    let canonical = remote_canonical.to_string();
    (older(req.cached_updated.as_deref(), remote_updated)
        && req.cached_status.as_deref() != Some(canonical.as_str()))
    .then(|| Outcome::Conflict {
        cached: format!(
            "{} at {}",
            req.cached_status.as_deref().unwrap_or("?"),
            req.cached_updated.as_deref().unwrap_or("?")
        ),
        remote: format!("{remote_name} at {}", remote_updated.unwrap_or("?")),
    })
}

/// A Jira time (`2026-02-12T10:00:00.000+0000`) or an RFC 3339 one.
fn parse_jira_time(s: &str) -> Option<Timestamp> {
    s.parse::<Timestamp>().ok().or_else(|| {
        jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%.f%z", s)
            .ok()?
            .to_timestamp()
            .ok()
    })
}

/// Pushes statuses to one Jira Cloud site.
pub struct JiraPusher {
    transport: Transport,
    base_url: String,
    auth: Secret,
}

impl JiraPusher {
    /// A pusher from the binding's `base_url`, `email` and `api_token`.
    ///
    /// # Errors
    ///
    /// [`ConnectorError::MissingCredentials`] or [`ConnectorError::InvalidCredential`].
    pub fn new(
        credentials: &Credentials,
        settings: &http_transport::Settings,
    ) -> Result<Self, ConnectorError> {
        let (base_url, auth) = crate::jira::site_and_auth(credentials)?;
        Ok(JiraPusher {
            transport: settings.transport(),
            base_url,
            auth,
        })
    }

    /// `Ok(None)` for a 404.
    fn call(
        &self,
        plan: RequestPlan,
        body: Option<&[u8]>,
    ) -> Result<Option<Value>, ConnectorError> {
        let url = plan.shown_url();
        let plan = plan
            .header("Accept", "application/json")
            .user_agent_header()
            .secret_header("Authorization", "", &self.auth);
        let empty: &[u8] = &[];
        let answer = self
            .transport
            .execute(&plan, || Ok::<_, TransportError>(body.unwrap_or(empty)))?
            .answer;
        if answer.status == 404 {
            return Ok(None);
        }
        if !answer.is_success() {
            return Err(ConnectorError::Http {
                service: "Jira",
                status: answer.status,
                url,
                detail: answer.summary(),
            });
        }
        Ok(Some(answer.json().cloned().unwrap_or(Value::Null)))
    }

    fn issue_url(&self, req: &PushRequest, tail: &str) -> String {
        let id = req.issue_key.as_deref().unwrap_or(&req.issue_id);
        join_url(
            &self.base_url,
            &format!(
                "/rest/api/3/issue/{}{tail}",
                http_transport::percent_encode(id)
            ),
        )
    }

    /// Moves one issue toward `target` (see the module doc). A dry run reads, decides
    /// and writes nothing. `Some(NewStatus)` when the issue was moved.
    ///
    /// # Errors
    ///
    /// The service or the network failed, or an answer is unreadable.
    pub fn push(
        &self,
        req: &PushRequest,
        target: &StatusTarget,
        force: bool,
        dry_run: bool,
    ) -> Result<(Outcome, Option<NewStatus>), ConnectorError> {
        let url = format!("{}?fields=status,updated", self.issue_url(req, ""));
        let Some(issue) = self.call(RequestPlan::get(&url), None)? else {
            return Ok((Outcome::NotFound, None));
        };
        let fields = &issue["fields"];
        let status = JiraStatus {
            name: fields["status"]["name"].as_str().unwrap_or("").to_owned(),
            category: fields["status"]["statusCategory"]["key"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        };
        let updated = fields["updated"].as_str().map(str::to_owned);
        if target.matches_jira_name(&status) {
            return Ok((
                Outcome::Unchanged {
                    status: status.name,
                },
                None,
            ));
        }
        let remote_canonical = crate::jira::status_of(&fields["status"]);
        if !force
            && let Some(c) = conflict(req, &status.name, &remote_canonical, updated.as_deref())
        {
            return Ok((c, None));
        }
        let turl = self.issue_url(req, "/transitions");
        let Some(t) = self.call(RequestPlan::get(&turl), None)? else {
            return Ok((Outcome::NotFound, None));
        };
        let transitions = t["transitions"].as_array().cloned().unwrap_or_default();
        let offered: Vec<JiraStatus> = transitions
            .iter()
            .map(|t| JiraStatus {
                name: t["to"]["name"].as_str().unwrap_or("").to_owned(),
                category: t["to"]["statusCategory"]["key"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            })
            .collect();
        let by_name = offered.iter().position(|s| target.matches_jira_name(s));
        if by_name.is_none()
            && let StatusTarget::Jira {
                category: Some(category),
                ..
            } = target
            && status.category == *category
        {
            // No status of the target's names is reachable, and the issue is already in
            // the target's category: that is as close as this workflow gets.
            return Ok((
                Outcome::Unchanged {
                    status: status.name,
                },
                None,
            ));
        }
        let Some(i) = by_name.or_else(|| target.pick_jira(&offered)) else {
            return Ok((
                Outcome::NoTransition {
                    current: status.name,
                    target: target.to_string(),
                    available: offered.into_iter().map(|s| s.name).collect(),
                },
                None,
            ));
        };
        let to = offered[i].clone();
        let outcome = Outcome::Changed {
            from: status.name,
            to: to.name.clone(),
        };
        if dry_run {
            return Ok((outcome, None));
        }
        let id = transitions[i]["id"].as_str().unwrap_or("").to_owned();
        let body = serde_json::to_vec(&json!({"transition": {"id": id}})).unwrap_or_default();
        let plan = RequestPlan::post(&turl)
            .header("Content-Type", "application/json")
            .content_length_header(body.len() as u64);
        if self.call(plan, Some(&body))?.is_none() {
            return Ok((Outcome::NotFound, None));
        }
        let new = NewStatus {
            status: crate::jira::status_of(
                &json!({"name": to.name, "statusCategory": {"key": to.category}}),
            ),
            updated: Timestamp::now().to_string(),
        };
        Ok((outcome, Some(new)))
    }
}

const LINEAR_STATES_QUERY: &str = "query SpecKittyStates($team: String!) {
  team(id: $team) { states(first: 250) { nodes { id name type } } }
}";

const LINEAR_ISSUE_QUERY: &str = "query SpecKittyIssueState($id: String!) {
  issue(id: $id) { id updatedAt state { id name type } }
}";

const LINEAR_UPDATE_MUTATION: &str = "mutation SpecKittyMove($id: String!, $stateId: String!) {
  issueUpdate(id: $id, input: { stateId: $stateId }) {
    success
    issue { id updatedAt state { id name type } }
  }
}";

/// Pushes states to one Linear team: its workflow states are read once per run.
pub struct LinearPusher {
    connector: crate::linear::LinearConnector,
    states: std::cell::OnceCell<Vec<crate::status_map::LinearState>>,
}

fn linear_state(v: &Value) -> crate::status_map::LinearState {
    crate::status_map::LinearState {
        id: v["id"].as_str().unwrap_or("").to_owned(),
        name: v["name"].as_str().unwrap_or("").to_owned(),
        state_type: v["type"].as_str().unwrap_or("").to_owned(),
    }
}

impl LinearPusher {
    /// A pusher from the binding's `api_key` (or `access_token`), `team_id` and optional
    /// `graphql_url`.
    ///
    /// # Errors
    ///
    /// [`ConnectorError::MissingCredentials`] or [`ConnectorError::InvalidCredential`].
    pub fn new(
        workspace: &str,
        credentials: &Credentials,
        settings: &http_transport::Settings,
    ) -> Result<Self, ConnectorError> {
        Ok(LinearPusher {
            connector: crate::linear::LinearConnector::new(workspace, credentials, settings)?,
            states: std::cell::OnceCell::new(),
        })
    }

    fn states(&self) -> Result<&[crate::status_map::LinearState], ConnectorError> {
        if let Some(s) = self.states.get() {
            return Ok(s);
        }
        let v = self.connector.query(
            LINEAR_STATES_QUERY,
            json!({"team": self.connector.team_id()}),
        )?;
        let nodes = v
            .pointer("/data/team/states/nodes")
            .and_then(Value::as_array)
            .ok_or_else(|| ConnectorError::GraphQl {
                detail: "the team's workflow states are missing from the answer".into(),
            })?;
        Ok(self
            .states
            .get_or_init(|| nodes.iter().map(linear_state).collect()))
    }

    /// Moves one issue toward `target` (see the module doc). A dry run reads, decides and
    /// writes nothing. `Some(NewStatus)` when the issue was moved.
    ///
    /// # Errors
    ///
    /// The service or the network failed (a rate limit is waited out first), an answer is
    /// unreadable, or `issueUpdate` answered `success: false`.
    pub fn push(
        &self,
        req: &PushRequest,
        target: &StatusTarget,
        force: bool,
        dry_run: bool,
    ) -> Result<(Outcome, Option<NewStatus>), ConnectorError> {
        let states = self.states()?;
        let issue = match self
            .connector
            .query(LINEAR_ISSUE_QUERY, json!({"id": req.issue_id}))
        {
            Ok(v) => v.pointer("/data/issue").cloned().filter(|i| !i.is_null()),
            Err(ConnectorError::GraphQl { detail })
                if detail.to_lowercase().contains("not found") =>
            {
                None
            }
            Err(e) => return Err(e),
        };
        let Some(issue) = issue else {
            return Ok((Outcome::NotFound, None));
        };
        let current = linear_state(&issue["state"]);
        let Some(wanted) = target.pick_linear(states) else {
            return Ok((
                Outcome::NoTransition {
                    current: current.name,
                    target: target.to_string(),
                    available: states.iter().map(|s| s.name.clone()).collect(),
                },
                None,
            ));
        };
        if wanted.id == current.id
            || (wanted.name.eq_ignore_ascii_case(&current.name)
                && wanted.state_type == current.state_type)
        {
            return Ok((
                Outcome::Unchanged {
                    status: current.name,
                },
                None,
            ));
        }
        let updated = issue["updatedAt"].as_str().map(str::to_owned);
        let remote_canonical = crate::linear::linear_status(Some(&issue["state"]));
        if !force
            && let Some(c) = conflict(req, &current.name, &remote_canonical, updated.as_deref())
        {
            return Ok((c, None));
        }
        let outcome = Outcome::Changed {
            from: current.name,
            to: wanted.name.clone(),
        };
        if dry_run {
            return Ok((outcome, None));
        }
        let v = self.connector.query(
            LINEAR_UPDATE_MUTATION,
            json!({"id": req.issue_id, "stateId": wanted.id}),
        )?;
        let result = &v["data"]["issueUpdate"];
        if result["success"] != true {
            return Err(ConnectorError::GraphQl {
                detail: format!("issueUpdate of {} answered success: false", req.issue_id),
            });
        }
        let new = NewStatus {
            status: crate::linear::linear_status(Some(&result["issue"]["state"])),
            updated: result["issue"]["updatedAt"]
                .as_str()
                .map_or_else(|| Timestamp::now().to_string(), str::to_owned),
        };
        Ok((outcome, Some(new)))
    }
}

/// A pusher for a binding's provider.
pub enum Pusher {
    /// Jira Cloud.
    Jira(JiraPusher),
    /// Linear.
    Linear(LinearPusher),
}

impl Pusher {
    /// The pusher of `provider` (`jira`, `linear`); `None` for a provider without push.
    ///
    /// # Errors
    ///
    /// The binding's credentials are missing or unusable.
    pub fn for_binding(
        provider: &str,
        workspace: &str,
        credentials: &Credentials,
        settings: &http_transport::Settings,
    ) -> Result<Option<Pusher>, ConnectorError> {
        Ok(match provider {
            "jira" => Some(Pusher::Jira(JiraPusher::new(credentials, settings)?)),
            "linear" => Some(Pusher::Linear(LinearPusher::new(
                workspace,
                credentials,
                settings,
            )?)),
            _ => None,
        })
    }

    /// See [`JiraPusher::push`] and [`LinearPusher::push`].
    ///
    /// # Errors
    ///
    /// As theirs.
    pub fn push(
        &self,
        req: &PushRequest,
        target: &StatusTarget,
        force: bool,
        dry_run: bool,
    ) -> Result<(Outcome, Option<NewStatus>), ConnectorError> {
        match self {
            Pusher::Jira(p) => p.push(req, target, force, dry_run),
            Pusher::Linear(p) => p.push(req, target, force, dry_run),
        }
    }
}

/// Where a work package's lane was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// In one feature, in this lane.
    In {
        /// The feature (directory name).
        feature: String,
        /// The lane.
        lane: String,
    },
    /// The same WP id in several features: which lane is meant is not known.
    Several(Vec<String>),
}

/// Why an item was not pushed, for the caller to say (and to add what fixes it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The doctrine does not let spec-kitty write the status.
    Doctrine {
        /// The doctrine mode.
        mode: String,
        /// Who owns `status`.
        owner: String,
    },
    /// The work package is in several features.
    SeveralFeatures(Vec<String>),
    /// The work package is in no lane log or WP file.
    NoLane,
    /// The provider has no status for this lane.
    NoStatus(String),
}

/// What happened to one mapped work package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemResult {
    /// The tracker answered.
    Pushed(Outcome),
    /// Not tried.
    Refused(Refusal),
    /// The service or the network failed (or, after a transient failure, not tried);
    /// the error on one line and whether trying later may succeed.
    Failed {
        /// What failed.
        error: String,
        /// Whether it is the service's or the network's failure.
        transient: bool,
    },
}

impl ItemResult {
    /// `changed`, `unchanged`, `conflict`, `no_transition`, `not_found`, `refused` or
    /// `failed`.
    #[must_use]
    pub fn word(&self) -> &'static str {
        match self {
            ItemResult::Pushed(o) => o.word(),
            ItemResult::Refused(_) => "refused",
            ItemResult::Failed { .. } => "failed",
        }
    }
}

/// One mapped work package and what the push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushItem {
    /// The work package.
    pub wp_id: String,
    /// The issue (its key, else its id).
    pub issue: String,
    /// The feature and lane, when the work package has one.
    pub placement: Option<(String, String)>,
    /// The result.
    pub result: ItemResult,
}

/// What to push.
#[derive(Debug, Clone, Copy, Default)]
pub struct PushOptions<'a> {
    /// Only these work packages (empty: all mapped).
    pub wps: &'a [String],
    /// Leave out mapped work packages found in no selected feature (a `--feature` run).
    pub placed_only: bool,
    /// Move issues changed remotely since the last pull too.
    pub force: bool,
    /// Read and decide, write nothing (no transition, no cache update).
    pub dry_run: bool,
}

/// Pushes every mapping of `provider`/`workspace` in `cache` whose work package has a lane
/// in `lanes`, under the binding's doctrine and status map (see `contracts/tracker-push.md`).
/// Each change updates the cached issue in one transaction. After a transient failure the
/// remaining items are not tried.
///
/// # Errors
///
/// The cache could not be read or written.
pub fn push_mapped(
    pusher: &Pusher,
    cache: &mut tracker_store::IssueCache,
    binding: (&str, &str),
    config: &spec_kitty_home::TrackerConfig,
    lanes: &std::collections::BTreeMap<String, Placement>,
    opts: &PushOptions<'_>,
) -> Result<Vec<PushItem>, tracker_store::StoreError> {
    let (provider, workspace) = binding;
    let writable = config.may_write("status");
    let mut items = Vec::new();
    let mut stopped = false;
    for m in cache
        .list_mappings()?
        .into_iter()
        .filter(|m| m.system == provider && m.workspace == workspace)
        .filter(|m| opts.wps.is_empty() || opts.wps.contains(&m.wp_id))
    {
        let issue = m
            .external_key
            .clone()
            .unwrap_or_else(|| m.external_id.clone());
        let mut item = PushItem {
            wp_id: m.wp_id.clone(),
            issue,
            placement: None,
            result: ItemResult::Refused(Refusal::NoLane),
        };
        let (feature, lane) = match lanes.get(&m.wp_id) {
            None if opts.placed_only => continue,
            None => {
                items.push(item);
                continue;
            }
            Some(Placement::Several(features)) => {
                item.result = ItemResult::Refused(Refusal::SeveralFeatures(features.clone()));
                items.push(item);
                continue;
            }
            Some(Placement::In { feature, lane }) => (feature, lane),
        };
        item.placement = Some((feature.clone(), lane.clone()));
        let target = crate::status_map::status_target(provider, lane, &config.status_map);
        item.result = match target {
            _ if !writable => ItemResult::Refused(Refusal::Doctrine {
                mode: config.doctrine_mode.clone(),
                owner: config.field_owner("status").to_owned(),
            }),
            _ if stopped => ItemResult::Failed {
                error: "not tried: the service failed".into(),
                transient: true,
            },
            None => ItemResult::Refused(Refusal::NoStatus(lane.clone())),
            Some(target) => {
                let cached = cache.find_issue(&m.system, &m.external_id)?;
                let text = |k: &str| {
                    cached
                        .as_ref()
                        .and_then(|c| c.payload[k].as_str().map(str::to_owned))
                };
                let req = PushRequest {
                    wp_id: m.wp_id.clone(),
                    lane: lane.clone(),
                    issue_id: m.external_id.clone(),
                    issue_key: m.external_key.clone(),
                    cached_status: text("status"),
                    cached_updated: text("updated_at"),
                };
                match pusher.push(&req, &target, opts.force, opts.dry_run) {
                    Ok((outcome, new)) => {
                        if let (Some(new), Some(row)) = (new, &cached) {
                            cache.set_issue_status(
                                &row.identity,
                                &new.status,
                                &new.updated,
                                &spec_kitty_home::now_isoformat(),
                            )?;
                        }
                        ItemResult::Pushed(outcome)
                    }
                    Err(e) => {
                        let transient = e.is_transient();
                        stopped |= transient;
                        ItemResult::Failed {
                            error: http_transport::one_line(&e.to_string()),
                            transient,
                        }
                    }
                }
            }
        };
        items.push(item);
    }
    Ok(items)
}
