"""Console screens of delivery: sources, destinations, Event Delivery, Connection Health."""
