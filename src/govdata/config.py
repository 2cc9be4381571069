"""Settings from GOVDATA_* environment variables (the only module-level state besides constants)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVDATA_", extra="ignore")

    database_url: str = "sqlite:///govdata.db"
    # Signs session cookies; when empty a per-database secret is generated at init and kept in the DB.
    secret_key: str = ""
    session_max_age_seconds: int = 8 * 3600
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 20_000_000_000  # data files streamed into pools
    # Portal search answers kept per process (exact: dropped when any listing changes state); 0 keeps none.
    open_search_cache: int = 512
    # Where open datasets' CSV/JSON bodies are kept between downloads (opendata.files); empty turns it off.
    open_files_dir: str = "govdata-files"
    # argon2id cost; tests lower it (never do so in production).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    page_size_default: int = 20
    page_size_max: int = 200


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
