"""Console screens of delivery: connecting functions, sources, destinations and their
Functions tab with the Enable Function toggle, Event Delivery, Connection Health."""
