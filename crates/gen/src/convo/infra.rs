//! Conversations of the infra protocol family.

use super::Conversation;

/// Every labelled infra conversation.
pub fn conversations() -> Vec<Conversation> {
    Vec::new()
}
