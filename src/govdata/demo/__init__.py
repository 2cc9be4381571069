"""The realistic demo jurisdiction (四川省): its content in `content`, loaded through the services."""
