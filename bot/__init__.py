"""alleybot (街巷助手): the conversation core of the WeChat official-account bot."""
