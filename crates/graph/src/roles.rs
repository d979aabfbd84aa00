//! Role inference from behaviour, each role with the reason that gave it
//! (`rules/findings.yaml` `roles:`). The inventory overrides all of this.
//!
//! Order: domain controller (serves Kerberos and LDAP), then the server signatures in file
//! order, then scanner (the scan rule fired), management (admin sessions to many servers and
//! little else), workstation (uses several services, serves none), generic server, client.

use segscope_core::{AppProto, Transport};
use segscope_rules::findings::{Role, RoleRules};

/// A service a workload serves, as role inference sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Served {
    pub(crate) transport: Transport,
    pub(crate) port: u16,
    pub(crate) app: AppProto,
    pub(crate) clients: u32,
    pub(crate) admin: bool,
}

/// What one workload did, summarised for role inference.
#[derive(Clone, Debug, Default)]
pub(crate) struct Behaviour {
    /// Answered services it serves (discovery protocols left out).
    pub(crate) served: Vec<Served>,
    /// Distinct answered services it uses (server, transport, port), admin services excluded.
    pub(crate) services_used: u32,
    /// Of those, the ones that are not infrastructure.
    pub(crate) other_services_used: u32,
    /// Distinct servers it reached with management admin services (answered).
    pub(crate) admin_targets: u32,
    /// Distinct servers it tried with management admin services (answered or not).
    pub(crate) admin_targets_tried: u32,
    /// The scan rule fired for it, with this summary.
    pub(crate) scan: Option<String>,
    /// It announced a DHCP host name.
    pub(crate) dhcp_named: bool,
}

fn describe(s: &Served) -> String {
    let what = if s.app == AppProto::Unknown {
        String::new()
    } else {
        format!("{} ", s.app)
    };
    format!(
        "{what}{}/{} to {} client{}",
        s.transport,
        s.port,
        s.clients,
        if s.clients == 1 { "" } else { "s" }
    )
}

/// The inferred role of a workload and why.
pub(crate) fn infer(b: &Behaviour, rules: &RoleRules) -> (Role, String) {
    let dc = &rules.domain_controller;
    let krb = b
        .served
        .iter()
        .find(|s| dc.kerberos.matches(s.app, s.transport, s.port));
    let ldap = b
        .served
        .iter()
        .find(|s| dc.ldap.matches(s.app, s.transport, s.port));
    if let (Some(k), Some(l)) = (krb, ldap) {
        return (
            Role::DomainController,
            format!(
                "serves Kerberos ({}) and LDAP ({})",
                describe(k),
                describe(l)
            ),
        );
    }
    let m = &rules.management;
    let manages = b.admin_targets >= m.min_targets
        && b.other_services_used <= m.max_other_services
        && f64::from(b.admin_targets)
            >= m.min_established_share.value * f64::from(b.admin_targets_tried.max(1));
    let management = || {
        (
            Role::Management,
            format!(
                "admin sessions to {} servers ({} tried), {} other services used",
                b.admin_targets, b.admin_targets_tried, b.other_services_used
            ),
        )
    };
    // A jump host is monitored like any other host (an SNMP agent, a syslog or NTP peer):
    // serving only infrastructure protocols does not outweigh what it does.
    let serves_only_infrastructure = b.served.iter().filter(|s| !s.admin).all(|s| {
        rules.servers.iter().any(|sig| {
            sig.role.value == Role::Infrastructure
                && sig.services.matches(s.app, s.transport, s.port)
        })
    });
    if manages && serves_only_infrastructure {
        return management();
    }
    for sig in &rules.servers {
        let best = b
            .served
            .iter()
            .filter(|s| sig.services.matches(s.app, s.transport, s.port))
            .max_by_key(|s| (s.clients, std::cmp::Reverse((s.transport, s.port))));
        if let Some(s) = best
            && s.clients >= sig.min_clients
        {
            return (sig.role.value, format!("serves {}", describe(s)));
        }
    }
    if let Some(scan) = &b.scan {
        return (Role::Scanner, scan.clone());
    }
    if manages {
        return management();
    }
    let served_plain: Vec<&Served> = b.served.iter().filter(|s| !s.admin).collect();
    let w = &rules.workstation;
    if b.services_used >= w.min_services_used && served_plain.len() as u32 <= w.max_services_served
    {
        let dhcp = if b.dhcp_named {
            "; announced a DHCP host name"
        } else {
            ""
        };
        return (
            Role::Workstation,
            format!(
                "uses {} services, serves {}{dhcp}",
                b.services_used,
                if served_plain.is_empty() {
                    "none".to_owned()
                } else {
                    served_plain.len().to_string()
                }
            ),
        );
    }
    if let Some(s) = b.served.iter().max_by_key(|s| s.clients) {
        return (
            Role::Server,
            format!("serves {}; no signature matched", describe(s)),
        );
    }
    if b.services_used > 0 {
        return (
            Role::Client,
            format!(
                "only originates, to {} service{}",
                b.services_used,
                if b.services_used == 1 { "" } else { "s" }
            ),
        );
    }
    (
        Role::Unknown,
        "no answered traffic to or from it".to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use segscope_rules::RuleSource;

    fn rules() -> RoleRules {
        RuleSource::embedded()
            .findings()
            .expect("shipped rules")
            .roles
    }

    fn served(transport: Transport, port: u16, app: AppProto, clients: u32) -> Served {
        Served {
            transport,
            port,
            app,
            clients,
            admin: matches!(app, AppProto::Smb | AppProto::Rdp | AppProto::Ssh),
        }
    }

    #[test]
    fn signatures_give_roles_with_reasons() {
        let r = rules();
        let dc = Behaviour {
            served: vec![
                served(Transport::UDP, 88, AppProto::Kerberos, 40),
                served(Transport::TCP, 389, AppProto::Ldap, 35),
                served(Transport::UDP, 53, AppProto::Dns, 50),
            ],
            ..Behaviour::default()
        };
        let (role, why) = infer(&dc, &r);
        assert_eq!(role, Role::DomainController);
        assert!(
            why.contains("Kerberos") && why.contains("40 clients"),
            "{why}"
        );

        let db = Behaviour {
            served: vec![served(Transport::TCP, 5432, AppProto::Unknown, 2)],
            ..Behaviour::default()
        };
        assert_eq!(infer(&db, &r).0, Role::Database, "port signature");

        let one_smb_client = Behaviour {
            served: vec![served(Transport::TCP, 445, AppProto::Smb, 1)],
            services_used: 4,
            other_services_used: 3,
            ..Behaviour::default()
        };
        assert_eq!(
            infer(&one_smb_client, &r).0,
            Role::Workstation,
            "one SMB client does not make a file server; admin services do not count as served"
        );
        let file = Behaviour {
            served: vec![served(Transport::TCP, 445, AppProto::Smb, 3)],
            ..Behaviour::default()
        };
        assert_eq!(infer(&file, &r).0, Role::FileServer);
    }

    #[test]
    fn client_roles_follow_behaviour() {
        let r = rules();
        let jump = Behaviour {
            admin_targets: 4,
            admin_targets_tried: 4,
            services_used: 2,
            other_services_used: 0,
            ..Behaviour::default()
        };
        assert_eq!(infer(&jump, &r).0, Role::Management);
        let monitored_jump = Behaviour {
            served: vec![served(Transport::UDP, 161, AppProto::Snmp, 1)],
            ..jump.clone()
        };
        assert_eq!(
            infer(&monitored_jump, &r).0,
            Role::Management,
            "an SNMP agent on a jump host does not make it infrastructure"
        );
        let managing_db = Behaviour {
            served: vec![served(Transport::TCP, 5432, AppProto::Postgresql, 3)],
            ..jump.clone()
        };
        assert_eq!(infer(&managing_db, &r).0, Role::Database);
        let failing = Behaviour {
            admin_targets: 4,
            admin_targets_tried: 40,
            ..Behaviour::default()
        };
        assert_ne!(infer(&failing, &r).0, Role::Management, "mostly failed");
        let scanner = Behaviour {
            scan: Some("probed 30 hosts".to_owned()),
            ..Behaviour::default()
        };
        assert_eq!(infer(&scanner, &r).0, Role::Scanner);
        let ws = Behaviour {
            services_used: 5,
            other_services_used: 3,
            dhcp_named: true,
            ..Behaviour::default()
        };
        let (role, why) = infer(&ws, &r);
        assert_eq!(role, Role::Workstation);
        assert!(why.contains("DHCP"), "{why}");
        let client = Behaviour {
            services_used: 1,
            ..Behaviour::default()
        };
        assert_eq!(infer(&client, &r).0, Role::Client);
        assert_eq!(infer(&Behaviour::default(), &r).0, Role::Unknown);
        let custom = Behaviour {
            served: vec![served(Transport::TCP, 9000, AppProto::Unknown, 7)],
            ..Behaviour::default()
        };
        let (role, why) = infer(&custom, &r);
        assert_eq!(role, Role::Server);
        assert!(why.contains("tcp/9000 to 7 clients"), "{why}");
    }
}
