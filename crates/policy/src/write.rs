//! Writing `policy.yaml`: the policy as YAML under a header that documents the format, so
//! that a reviewer editing the file by hand has the rules of the game in front of them.

use crate::model::Policy;

/// The header written above every policy.
pub const HEADER: &str = "\
# segscope policy (schema segscope.policy/1). Check it with `segscope policy check FILE`.
#
# Default deny in both directions: traffic between zones, and between two hosts of the same
# zone, passes only when an allow rule names the client zone (`from`), the server zone (`to`)
# and the service (`tcp/443`, `udp/53`, `tcp/5985-5986`; icmp/TYPE). Rules are stateful:
# replies of an allowed connection pass. Rule order does not matter: a deny rule beats any
# allow rule, and the narrowest allow rule is the one cited. `*` in from/to means any zone.
#
# Zone members: `ip: ADDRESS`, `cidr: PREFIX` or `labels: {KEY: VALUE}`. An address belongs
# to the zone of its most specific member (an address or labels beat a prefix, a longer prefix
# beats a shorter one); an address no member matches is in no zone and its traffic is reported
# as unmatched. `denied_by_design` lists observed traffic the proposal blocks on purpose, with
# the findings behind it; it documents, it does not change verdicts.
";

/// The policy as YAML with the documentation header.
pub fn to_yaml(policy: &Policy) -> Result<String, String> {
    let body = serde_saphyr::to_string(policy)
        .map_err(|e| format!("cannot write the policy as YAML: {e}"))?;
    Ok(format!("{HEADER}\n{body}"))
}
