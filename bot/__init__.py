"""The platform-neutral quiz core: content, engine, views, action ids, store and config."""
