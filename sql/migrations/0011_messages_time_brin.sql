-- Operations: `smsctl status` counts the last hour's messages by minute and status. Messages arrive in time
-- order, so a BRIN index on accepted_at finds the last hour's pages for almost nothing, and (unlike a
-- B-tree) does not stop the HOT updates the send path relies on.
CREATE INDEX messages_accepted_brin ON messages USING brin (accepted_at);
