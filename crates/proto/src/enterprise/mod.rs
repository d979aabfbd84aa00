//! The enterprise family: SMB 1/2/3, NTLMSSP, Kerberos, GSS-API/SPNEGO, DCE-RPC, LDAP, RDP and
//! SSH. Other families call [`gss::GssAuth`] for tokens carried in HTTP, LDAP or SASL.

pub mod gss;

use crate::probe::Probe;

/// The enterprise family's probes.
pub(crate) static PROBES: &[&dyn Probe] = &[];
