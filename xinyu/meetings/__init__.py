"""The leadership group's monthly meeting (QD-S1b): its agenda, the meeting as held, its invitation and minutes."""
