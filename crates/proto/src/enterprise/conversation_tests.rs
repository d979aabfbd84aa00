//! The facts of the labelled enterprise conversations (built from the specifications in
//! `segscope_gen::convo::enterprise`), beyond the verdicts the accuracy test checks.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use segscope_core::auth::{Upgrade, Weakness};
use segscope_core::{
    AppProto, Classification, Classify, DirPayload, Endpoint, FlowMeta, NameSource, Timestamp,
    Transport,
};
use segscope_gen::convo::enterprise::conversations;
use segscope_rules::RuleSource;

use crate::Classifier;

const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 2, 2, 20));
const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 1, 1, 10));

fn classify(name: &str) -> Classification {
    let conv = conversations()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no conversation {name}"));
    let classifier = Classifier::new(Arc::new(
        RuleSource::embedded().protocols().expect("shipped rules"),
    ));
    let (cb, cl) = conv.side(true);
    let (sb, sl) = conv.side(false);
    let udp = conv.transport == Transport::UDP;
    let meta = FlowMeta {
        transport: conv.transport,
        client: Endpoint {
            ip: CLIENT,
            port: 50_000,
        },
        server: Endpoint {
            ip: SERVER,
            port: conv.server_port,
        },
        direction_inferred: false,
        first_ts: Timestamp(1),
        last_ts: Timestamp(2),
        server_answered: !sb.is_empty(),
    };
    let (cl, sl) = if udp {
        (cl, sl)
    } else {
        (Vec::new(), Vec::new())
    };
    let got = classifier.classify(
        &meta,
        DirPayload {
            bytes: &cb,
            datagrams: &cl,
            ..DirPayload::default()
        },
        DirPayload {
            bytes: &sb,
            datagrams: &sl,
            ..DirPayload::default()
        },
    );
    assert_eq!(
        (got.app_proto, got.auth),
        (conv.app, conv.auth),
        "{name}: {}",
        got.evidence.reason
    );
    got
}

#[test]
fn smb2_ntlmv2_session_facts() {
    for name in ["smb2-ntlmv2", "smb2-ntlmv2-port-8445"] {
        let got = classify(name);
        let ntlm = got.evidence.ntlm.as_deref().expect("ntlm");
        assert_eq!(ntlm.version.as_deref(), Some("v2"));
        assert_eq!(ntlm.user.as_deref(), Some("alice"));
        assert_eq!(ntlm.domain.as_deref(), Some("CONTOSO"));
        assert_eq!(ntlm.workstation.as_deref(), Some("WS01"));
        assert_eq!(
            ntlm.server_name.as_deref(),
            Some("FS01 (fs01.contoso.local)")
        );
        assert_eq!(got.evidence.mechanism.as_deref(), Some("spnego/ntlmssp"));
        let smb = got.evidence.smb.as_deref().expect("smb");
        assert_eq!(smb.dialect.as_deref(), Some("3.0.2"));
        assert_eq!(smb.signing_required, Some(false));
        assert_eq!(smb.trees, ["\\\\fs01\\ADMIN$", "\\\\fs01\\IPC$"]);
        assert_eq!(smb.pipes, ["svcctl"]);
        assert!(got.evidence.reason.contains("DCE-RPC over pipes to svcctl"));
        assert_eq!(got.evidence.weak, [Weakness::SmbSigningNotRequired]);
        let names: Vec<(&str, IpAddr, NameSource)> = got
            .names
            .iter()
            .map(|n| (n.name.as_str(), n.ip, n.source))
            .collect();
        assert!(names.contains(&("fs01", SERVER, NameSource::SmbHost)));
        assert!(names.contains(&("ws01", CLIENT, NameSource::SmbHost)));
        assert!(names.contains(&("fs01.contoso.local", SERVER, NameSource::SmbHost)));
    }
}

#[test]
fn smb2_kerberos_names_the_service_host() {
    let got = classify("smb2-kerberos");
    let k = got.evidence.kerberos.as_deref().expect("kerberos");
    assert_eq!(k.service.as_deref(), Some("cifs/fs01.contoso.local"));
    assert_eq!(k.realm.as_deref(), Some("CONTOSO.LOCAL"));
    assert_eq!(k.cipher.as_deref(), Some("aes256-cts-hmac-sha1-96"));
    assert_eq!(k.messages, ["AP-REQ", "AP-REP"]);
    assert_eq!(got.evidence.mechanism.as_deref(), Some("spnego/kerberos"));
    assert!(got.names.iter().any(|n| n.name == "fs01.contoso.local"
        && n.ip == SERVER
        && n.source == NameSource::KerberosPrincipal));
}

#[test]
fn smb_anonymous_smb1_and_encrypted() {
    let got = classify("smb2-anonymous");
    assert!(got.evidence.reason.contains("anonymous (NULL) session"));
    assert_eq!(got.evidence.user, None);
    let got = classify("smb1-ntlmv1");
    assert_eq!(got.evidence.mechanism.as_deref(), Some("ntlmssp"));
    for w in [
        Weakness::Smb1,
        Weakness::SmbSigningNotRequired,
        Weakness::Ntlmv1,
    ] {
        assert!(got.evidence.weak.contains(&w), "{w:?}");
    }
    assert_eq!(got.evidence.user.as_deref(), Some("bob"));
    let got = classify("smb3-encrypted-midstream");
    assert!(got.evidence.smb.as_deref().expect("smb").encrypted);
}

#[test]
fn kerberos_exchanges() {
    let got = classify("kerberos-as-aes-tcp");
    let k = got.evidence.kerberos.as_deref().expect("kerberos");
    assert_eq!(k.messages, ["AS-REQ", "AS-REP"]);
    assert_eq!(k.client.as_deref(), Some("WS01$"));
    assert_eq!(k.service.as_deref(), Some("krbtgt/CONTOSO.LOCAL"));
    assert!(got.evidence.weak.is_empty());
    // The machine account names the client; krbtgt names nobody.
    assert_eq!(got.names.len(), 1);
    assert_eq!(
        (got.names[0].name.as_str(), got.names[0].ip),
        ("ws01", CLIENT)
    );
    let got = classify("kerberos-tgs-rc4-udp");
    let k = got.evidence.kerberos.as_deref().expect("kerberos");
    assert_eq!(k.cipher.as_deref(), Some("rc4-hmac"));
    assert_eq!(
        k.service.as_deref(),
        Some("MSSQLSvc/sql01.contoso.local:1433")
    );
    assert_eq!(
        got.evidence.weak,
        [Weakness::KerberosWeakEtype("rc4-hmac".to_owned())]
    );
    assert!(
        got.names.is_empty(),
        "a KDC flow's service is another machine"
    );
}

#[test]
fn dcerpc_binds() {
    let got = classify("dcerpc-bind-ntlmssp");
    assert!(got.evidence.reason.contains("svcctl"));
    assert!(got.evidence.reason.contains("auth level privacy"));
    assert_eq!(got.evidence.user.as_deref(), Some("svc_deploy"));
    let got = classify("dcerpc-epmapper-no-auth");
    assert!(got.evidence.reason.contains("unauthenticated DCE-RPC"));
    assert!(got.evidence.reason.contains("epmapper"));
}

#[test]
fn ldap_binds() {
    let got = classify("ldap-simple-bind");
    assert_eq!(
        got.evidence.user.as_deref(),
        Some("CN=svc_backup,OU=Service Accounts,DC=contoso,DC=local")
    );
    let secret = got.evidence.secret.expect("secret");
    assert_eq!((secret.kind.as_str(), secret.length), ("password", 11));
    let got = classify("ldap-sasl-plain");
    assert_eq!(got.evidence.user.as_deref(), Some("carol"));
    assert_eq!(got.evidence.secret.expect("secret").length, 15);
    let got = classify("ldap-anonymous-bind");
    assert!(got.evidence.reason.contains("anonymous simple bind"));
    let got = classify("ldap-sasl-gss-spnego-ntlm");
    assert_eq!(
        got.evidence.mechanism.as_deref(),
        Some("ldap_sasl_gss_spnego")
    );
    assert_eq!(got.evidence.user.as_deref(), Some("alice"));
    let got = classify("ldap-sasl-gss-spnego-kerberos");
    assert_eq!(
        got.evidence
            .kerberos
            .as_deref()
            .and_then(|k| k.service.as_deref()),
        Some("ldap/dc01.contoso.local")
    );
}

/// The verdicts of upgraded flows come from the TLS family's analysis; the upgrade itself is
/// this family's evidence.
fn upgraded(name: &str) -> Classification {
    let conv = conversations()
        .into_iter()
        .find(|c| c.name == name)
        .expect("conversation");
    let classifier = Classifier::new(Arc::new(
        RuleSource::embedded().protocols().expect("shipped rules"),
    ));
    let (cb, _) = conv.side(true);
    let (sb, _) = conv.side(false);
    let meta = FlowMeta {
        transport: Transport::TCP,
        client: Endpoint {
            ip: CLIENT,
            port: 50_000,
        },
        server: Endpoint {
            ip: SERVER,
            port: conv.server_port,
        },
        direction_inferred: false,
        first_ts: Timestamp(1),
        last_ts: Timestamp(2),
        server_answered: true,
    };
    classifier.classify(
        &meta,
        DirPayload {
            bytes: &cb,
            ..DirPayload::default()
        },
        DirPayload {
            bytes: &sb,
            ..DirPayload::default()
        },
    )
}

#[test]
fn upgrades_are_recorded() {
    let got = upgraded("ldap-starttls");
    assert_eq!(got.app_proto, AppProto::Ldap);
    assert_eq!(
        got.evidence.upgrade,
        Some(Upgrade {
            from: AppProto::Ldap,
            how: "LDAP StartTLS".to_owned()
        })
    );
    let got = upgraded("rdp-hybrid-credssp");
    assert_eq!(got.app_proto, AppProto::Rdp);
    assert_eq!(
        got.evidence.upgrade,
        Some(Upgrade {
            from: AppProto::Rdp,
            how: "RDP CredSSP".to_owned()
        })
    );
    let rdp = got.evidence.rdp.as_deref().expect("rdp");
    assert_eq!(rdp.requested, ["ssl", "hybrid"]);
    assert_eq!(rdp.selected.as_deref(), Some("hybrid"));
    assert_eq!(rdp.cookie.as_deref(), Some("jdoe"));
}

#[test]
fn rdp_and_ssh_facts() {
    let got = classify("rdp-standard-security");
    assert_eq!(got.evidence.weak, [Weakness::RdpStandardSecurity]);
    assert_eq!(
        got.evidence
            .rdp
            .as_deref()
            .and_then(|r| r.selected.as_deref()),
        Some("rdp")
    );
    let got = classify("ssh-on-port-80");
    let ssh = got.evidence.ssh.as_deref().expect("ssh");
    assert_eq!(ssh.kex.as_deref(), Some("curve25519-sha256"));
    assert_eq!(ssh.cipher.as_deref(), Some("chacha20-poly1305@openssh.com"));
    assert_eq!(ssh.client_software.as_deref(), Some("OpenSSH_9.6"));
    assert!(got.evidence.weak.is_empty());
    let got = classify("ssh-weak-algorithms");
    let weak: Vec<String> = got
        .evidence
        .weak
        .iter()
        .map(|w| match w {
            Weakness::SshWeak(a) => a.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        weak,
        [
            "diffie-hellman-group1-sha1",
            "ssh-dss",
            "aes128-cbc",
            "hmac-md5"
        ]
    );
}

/// Every conversation, truncated at many points and with bytes flipped, classifies without
/// panicking (the deterministic cousin of the fuzz targets).
#[test]
fn damaged_conversations_never_panic() {
    for conv in conversations() {
        let (c, _) = conv.side(true);
        let (s, _) = conv.side(false);
        let mut data = u16::try_from(c.len())
            .unwrap_or(u16::MAX)
            .to_be_bytes()
            .to_vec();
        data.extend_from_slice(&c);
        data.extend_from_slice(&s);
        let step = (data.len() / 97).max(1);
        for cut in (0..data.len()).step_by(step) {
            let _ = super::classify_for_fuzzing(&data[..cut], conv.transport, conv.server_port);
            let mut flipped = data.clone();
            flipped[cut] ^= 0xa5;
            let _ = super::classify_for_fuzzing(&flipped, conv.transport, conv.server_port);
        }
    }
}
