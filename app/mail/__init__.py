"""The email outbox: messages rendered into a table in the caller's transaction, sent later over SMTP."""
