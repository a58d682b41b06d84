//! What [`crate::participants`] decides from: the requesters, watchers and
//! public recipients of a ticket and of the tickets merged into it.

use anyhow::Result;
use sqlx::AssertSqlSafe;

use super::Conn;
use super::raw::placeholders;
use crate::domain::TicketId;
use crate::participants::Facts;

/// How deep merges are followed (tickets merged into tickets merged into
/// this one …): as far as threading follows them the other way.
const MAX_MERGE_DEPTH: usize = 8;

/// The facts about ticket `id`'s people.
pub async fn facts(c: &mut Conn, id: TicketId) -> Result<Facts> {
    let mut ids = vec![id];
    let mut frontier = vec![id];
    for _ in 0..MAX_MERGE_DEPTH {
        // Each merge leaves a `merged_from` event on the ticket merged
        // into, naming the other: found by the events' ticket index, where
        // `tickets.merged_into` has none.
        let sql = format!(
            "SELECT data FROM events WHERE kind = 'merged_from' AND ticket_id IN ({})",
            placeholders(1, frontier.len())
        );
        let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql));
        for t in &frontier {
            q = q.bind(*t);
        }
        frontier = q
            .fetch_all(&mut *c)
            .await?
            .iter()
            .filter_map(|data| serde_json::from_str::<serde_json::Value>(data).ok())
            .filter_map(|data| data["ticket"].as_i64())
            .filter(|t| !ids.contains(t))
            .collect();
        if frontier.is_empty() {
            break;
        }
        ids.extend(&frontier);
    }
    // One round trip for the rest: (what, address, second address list).
    let list = placeholders(1, ids.len());
    let sql = format!(
        "SELECT 'requester', requester, '[]' FROM tickets WHERE id IN ({list}) \
         UNION ALL SELECT 'watcher', address, '[]' FROM watchers WHERE ticket_id IN ({list}) \
         UNION ALL SELECT 'recipients', to_addrs, cc_addrs FROM messages WHERE ticket_id IN ({list}) \
         AND direction = 'in' AND visibility = 'public' AND auto_kind IS NULL"
    );
    let mut q = sqlx::query_as::<_, (String, String, String)>(AssertSqlSafe(sql));
    for t in &ids {
        q = q.bind(*t);
    }
    let (mut requesters, mut watchers, mut recipients) = (Vec::new(), Vec::new(), Vec::new());
    for (what, first, second) in q.fetch_all(&mut *c).await? {
        match what.as_str() {
            "requester" => requesters.push(first),
            "watcher" => watchers.push(first),
            _ => {
                // To and Cc, each a JSON list of `Name <addr>`.
                for stored in [first, second] {
                    let list: Vec<String> = serde_json::from_str(&stored).unwrap_or_default();
                    recipients.extend(list);
                }
            }
        }
    }
    Ok(Facts {
        requesters,
        watchers,
        recipients,
    })
}
