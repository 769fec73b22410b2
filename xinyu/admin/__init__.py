"""Day one and account administration: the first 区县管理员, schools, people's roles, accounts.

Every change writes an AuditEntry (actor, action, target, ids in detail). The web's admin pages and the
`xinyu account …` commands call these; no Prefect involved.
"""
