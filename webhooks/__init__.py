"""The HTTP face of the bot: Flask app factory and blueprints."""
