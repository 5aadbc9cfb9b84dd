def this is not python
