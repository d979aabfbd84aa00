//! Conversations of the cleartext protocol family.

use super::Conversation;

/// Every labelled cleartext conversation.
pub fn conversations() -> Vec<Conversation> {
    Vec::new()
}
