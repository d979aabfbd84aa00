//! Conversations of the enterprise protocol family.

use super::Conversation;

/// Every labelled enterprise conversation.
pub fn conversations() -> Vec<Conversation> {
    Vec::new()
}
