"""The web door: the HTTP endpoints that are not Bolt's (gate, `/hooks/*`, survey page, health)."""
