//! Conversations of the tls protocol family.

use super::Conversation;

/// Every labelled tls conversation.
pub fn conversations() -> Vec<Conversation> {
    Vec::new()
}
