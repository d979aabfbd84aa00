//! Reading and checking `policy.yaml`, with errors that give the line and column.
//!
//! The file is read twice: once into the plain [`Policy`] (serde reports syntax and type errors
//! with their position), once into a skeleton that keeps the position of every name, so that
//! the checks made after parsing (unknown zone, duplicate id, overlapping members) point at the
//! offending value too.

use std::collections::{BTreeMap, BTreeSet};

use segscope_rules::{RuleError, Spanned, parse_yaml};
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::model::{ANY_ZONE, Action, Policy, SCHEMA, Selector};

/// A problem found by [`check`] that does not make the policy unusable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// `file:line:column: message`.
    pub message: String,
}

/// Parses and validates a policy; the first problem is returned as an error with its position.
pub fn parse(file: &str, text: &str) -> Result<Policy, RuleError> {
    let policy: Policy = parse_yaml(file, text)?;
    let spans: Skeleton = parse_yaml(file, text)?;
    validate(file, &policy, &spans)?;
    Ok(policy)
}

/// Reads, parses and validates a policy file.
pub fn load(path: &std::path::Path) -> Result<Policy, RuleError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| RuleError {
        file: name.clone(),
        line: 0,
        column: 0,
        message: format!("cannot read the policy: {e}"),
    })?;
    parse(&name, &text)
}

/// Validates a policy and lists what is legal but probably unintended: rules that can never
/// apply because another covers them, zones no rule mentions.
pub fn check(file: &str, text: &str) -> Result<(Policy, Vec<Warning>), RuleError> {
    let policy = parse(file, text)?;
    let spans: Skeleton = parse_yaml(file, text)?;
    let mut warnings = Vec::new();
    for s in crate::review::shadowed(&policy) {
        let at = spans
            .rules
            .iter()
            .find(|r| r.id.value == s.rule)
            .map(|r| RuleError::at(file, &r.id, String::new()));
        let (line, column) = at.map_or((0, 0), |e| (e.line, e.column));
        warnings.push(Warning {
            message: format!("{file}:{line}:{column}: rule {}: {}", s.rule, s.why),
        });
    }
    let used: BTreeSet<&str> = policy
        .rules
        .iter()
        .flat_map(|r| [r.from.as_str(), r.to.as_str()])
        .collect();
    for (z, sz) in policy.zones.iter().zip(&spans.zones) {
        if !used.contains(z.name.as_str()) && !used.contains(ANY_ZONE) {
            let e = RuleError::at(file, &sz.name, String::new());
            warnings.push(Warning {
                message: format!(
                    "{file}:{}:{}: zone {} is named by no rule: all its traffic is denied",
                    e.line, e.column, z.name
                ),
            });
        }
    }
    Ok((policy, warnings))
}

#[derive(Deserialize)]
struct Skeleton {
    schema: Spanned<String>,
    #[serde(default)]
    zones: Vec<SkZone>,
    #[serde(default)]
    rules: Vec<SkRule>,
}

#[derive(Deserialize)]
struct SkZone {
    name: Spanned<String>,
    #[serde(default)]
    members: Vec<Spanned<IgnoredAny>>,
}

#[derive(Deserialize)]
struct SkRule {
    id: Spanned<String>,
    from: Spanned<String>,
    to: Spanned<String>,
    service: Spanned<String>,
    #[serde(default)]
    infrastructure: Option<Spanned<String>>,
    #[serde(default)]
    kind: Option<Spanned<String>>,
}

/// A name usable as a Kubernetes label value, an nftables set name and an AWS group name.
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
        && b.iter().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_' | b'.')
        })
}

fn validate(file: &str, p: &Policy, s: &Skeleton) -> Result<(), RuleError> {
    if p.schema != SCHEMA {
        return Err(RuleError::at(
            file,
            &s.schema,
            format!(
                "unsupported schema {:?}: this segscope reads {SCHEMA:?}",
                p.schema
            ),
        ));
    }
    if !valid_name(&p.name) {
        return Err(RuleError {
            file: file.to_owned(),
            line: 0,
            column: 0,
            message: format!(
                "policy name {:?}: use 1 to 63 lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
                p.name
            ),
        });
    }
    let mut zones: BTreeMap<&str, usize> = BTreeMap::new();
    // Most specific claim of each address or prefix: (prefix, zone).
    let mut claims: BTreeMap<ipnet::IpNet, (&str, usize)> = BTreeMap::new();
    for (i, (z, sz)) in p.zones.iter().zip(&s.zones).enumerate() {
        if !valid_name(&z.name) {
            return Err(RuleError::at(
                file,
                &sz.name,
                format!(
                    "zone name {:?}: use 1 to 63 lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
                    z.name
                ),
            ));
        }
        if zones.insert(&z.name, i).is_some() {
            return Err(RuleError::at(
                file,
                &sz.name,
                format!("zone {:?} is defined twice", z.name),
            ));
        }
        if z.members.is_empty() {
            return Err(RuleError::at(
                file,
                &sz.name,
                format!("zone {:?} has no members", z.name),
            ));
        }
        for (m, sm) in z.members.iter().zip(&sz.members) {
            match &m.selector {
                Selector::Labels(l) if l.is_empty() => {
                    return Err(RuleError::at(
                        file,
                        sm,
                        "a labels member needs at least one label (an empty set would match every workload)",
                    ));
                }
                Selector::Cidr(net) if *net != net.trunc() => {
                    return Err(RuleError::at(
                        file,
                        sm,
                        format!(
                            "{net} has host bits set: write {} (or an `ip:` member for one address)",
                            net.trunc()
                        ),
                    ));
                }
                _ => {}
            }
            if let Some(net) = m.selector.net()
                && let Some((other, _)) = claims.insert(net, (&z.name, i))
                && other != z.name
            {
                return Err(RuleError::at(
                    file,
                    sm,
                    format!(
                        "{net} is also a member of zone {other:?}: an address or prefix can belong to one zone only (a more specific member may override a broader one)"
                    ),
                ));
            }
        }
    }
    let mut ids = BTreeSet::new();
    for (r, sr) in p.rules.iter().zip(&s.rules) {
        if r.id.is_empty() || r.id.chars().any(char::is_whitespace) {
            return Err(RuleError::at(
                file,
                &sr.id,
                "rule id must be a non-empty word without spaces",
            ));
        }
        if !ids.insert(r.id.as_str()) {
            return Err(RuleError::at(
                file,
                &sr.id,
                format!("rule id {:?} is used twice", r.id),
            ));
        }
        for (name, span) in [(&r.from, &sr.from), (&r.to, &sr.to)] {
            if name != ANY_ZONE && !zones.contains_key(name.as_str()) {
                let known: Vec<&str> = zones.keys().copied().collect();
                return Err(RuleError::at(
                    file,
                    span,
                    format!(
                        "unknown zone {name:?}; zones are: {} (or \"*\" for any)",
                        known.join(", ")
                    ),
                ));
            }
        }
        if !r.service.transport.has_ports() && !r.service.transport.is_icmp() {
            return Err(RuleError::at(
                file,
                &sr.service,
                format!(
                    "transport {} has no ports: rules cover tcp, udp, sctp and icmp (type as port)",
                    r.service.transport
                ),
            ));
        }
        if r.action == Action::Deny
            && let Some(span) = &sr.infrastructure
        {
            return Err(RuleError::at(
                file,
                span,
                "`infrastructure:` explains an allowance; a deny rule cannot carry it",
            ));
        }
        if r.infrastructure.is_some() && r.kind != crate::model::RuleKind::Infrastructure {
            let at = sr.kind.as_ref().unwrap_or(&sr.id);
            return Err(RuleError::at(
                file,
                at,
                "a rule with `infrastructure:` must have `kind: infrastructure`",
            ));
        }
    }
    Ok(())
}
