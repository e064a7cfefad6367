"""Pieces of the end-to-end load bench (bench/load_e2e.py): the simulator process, the
site and users, the websocket agents, process sampling and the cluster rig."""
