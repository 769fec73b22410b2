"""What a district's IT person runs besides the app: backups and restores (`xinyu backup`, `xinyu restore`)."""
