"""Infrastructure shared by the functions and delivery apps, kept at the bottom of the import
graph so both import it and neither imports the other for it: secrets encryption at rest
(`secrets`) and the outbound address guard that refuses private and reserved addresses
(`addresses`)."""
