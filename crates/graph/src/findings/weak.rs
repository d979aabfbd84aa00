//! `weak_crypto`: old TLS versions and broken suites, NTLMv1, Kerberos RC4/DES, RDP standard
//! security, SMB1 and SMB without signing, weak SSH, SNMP v1/v2c — one finding per service and
//! weakness, severity per weakness kind from the rules.

use std::collections::BTreeMap;

use segscope_core::Transport;
use segscope_core::auth::Weakness;
use segscope_rules::findings::FindingKind;

use crate::findings::{Draft, Finding, label, list};
use crate::view::View;

fn advice(w: &Weakness) -> &'static str {
    match w {
        Weakness::TlsVersion(_) => {
            "Disable SSLv3, TLS 1.0 and TLS 1.1 on the server; require TLS 1.2 or 1.3."
        }
        Weakness::TlsCipher(_) => {
            "Remove NULL, EXPORT, anonymous, RC4, DES and 3DES suites; offer AEAD suites only."
        }
        Weakness::Ntlmv1 => {
            "Set LAN Manager authentication level to NTLMv2 only (refuse LM and NTLM); move the \
             service to Kerberos."
        }
        Weakness::KerberosWeakEtype(_) => {
            "Disable RC4 and DES encryption types for accounts and KDCs; use AES."
        }
        Weakness::RdpStandardSecurity => "Require Network Level Authentication (TLS/CredSSP).",
        Weakness::SmbSigningNotRequired => {
            "Require SMB signing on servers and clients (prevents NTLM relay)."
        }
        Weakness::Smb1 => "Disable SMB1 on servers and clients.",
        Weakness::SshWeak(_) => "Remove SSH protocol 1 and broken algorithms from sshd.",
        Weakness::SnmpCommunity => "Move to SNMPv3 with authentication and privacy.",
    }
}

/// Weak-crypto findings over the view.
pub(crate) fn findings(v: &View<'_>) -> Vec<Finding> {
    let mut groups: BTreeMap<(usize, Transport, u16, Weakness), Vec<usize>> = BTreeMap::new();
    for (i, e) in v.live_edges() {
        if e.edge.weaknesses.is_empty() || e.status == crate::edge::EdgeStatus::Group {
            continue;
        }
        let (_, si) = v.ends.get(i).copied().unwrap_or_default();
        for w in e.edge.weaknesses.keys() {
            groups
                .entry((si, e.key.transport, e.key.port, w.clone()))
                .or_default()
                .push(i);
        }
    }
    groups
        .into_iter()
        .map(|((si, transport, port, weakness), idxs)| {
            let server = v.workload(si);
            let mut flows = 0;
            let mut clients = Vec::new();
            let mut evidence = Vec::new();
            let mut edges = Vec::new();
            for &i in &idxs {
                let Some(e) = v.edges.get(i) else { continue };
                flows += e
                    .edge
                    .weaknesses
                    .get(&weakness)
                    .copied()
                    .unwrap_or_default();
                let (ci, _) = v.ends.get(i).copied().unwrap_or_default();
                clients.push(label(v.workload(ci)));
                if let Some(s) = e.edge.weak_evidence.get(&weakness) {
                    evidence.extend(s.flows().iter().take(2).cloned());
                }
                edges.push(e.key);
            }
            Draft {
                kind: FindingKind::WeakCrypto,
                rule: format!("weak_crypto.{}", kind_name(&weakness)),
                subject: format!("{}|{transport}/{port}|{weakness}", server.key),
                severity: v.rules.weak_crypto.severity_of(&weakness),
                title: format!("{weakness} on {} {transport}/{port}", server.display_name),
                explanation: format!(
                    "{} negotiated {weakness} on {transport}/{port} in {flows} flows with {}. \
                     Weak protocol versions and algorithms let an attacker on the path decrypt, \
                     crack or relay what crosses them.",
                    label(server),
                    list(&clients, 8)
                ),
                workloads: std::iter::once(server.key)
                    .chain(
                        idxs.iter()
                            .filter_map(|&i| v.ends.get(i))
                            .map(|&(c, _)| v.workload(c).key),
                    )
                    .collect(),
                segments: Vec::new(),
                edges,
                evidence,
                remediation: advice(&weakness).to_owned(),
            }
            .finish(v.rules.evidence_per_finding, v.basis)
        })
        .collect()
}

fn kind_name(w: &Weakness) -> &'static str {
    match w {
        Weakness::TlsVersion(_) => "tls_version",
        Weakness::TlsCipher(_) => "tls_cipher",
        Weakness::Ntlmv1 => "ntlmv1",
        Weakness::KerberosWeakEtype(_) => "kerberos_weak_etype",
        Weakness::RdpStandardSecurity => "rdp_standard_security",
        Weakness::SmbSigningNotRequired => "smb_signing_not_required",
        Weakness::Smb1 => "smb1",
        Weakness::SshWeak(_) => "ssh_weak",
        Weakness::SnmpCommunity => "snmp_community",
    }
}
