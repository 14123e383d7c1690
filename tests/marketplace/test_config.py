"""Configuration: the environment is read once, and production refuses to start half-configured."""

from __future__ import annotations

import pytest

from config import DEV_SECRET_KEY, ConfigError, load_config

GOOD_KEY = "0123456789abcdef0123456789abcdef"
PG_URL = "postgresql://reststroom@db.example/reststroom"
BASE_URL = "https://reststroom.example.nl"


def test_production_without_secret_key_names_the_missing_variable() -> None:
    with pytest.raises(ConfigError, match=r"SECRET_KEY") as info:
        load_config("production", {"DATABASE_URL": PG_URL, "RESTSTROOM_BASE_URL": BASE_URL})
    assert "DATABASE_URL" not in str(info.value)


def test_production_without_database_url_names_the_missing_variable() -> None:
    with pytest.raises(ConfigError, match=r"DATABASE_URL") as info:
        load_config("production", {"SECRET_KEY": GOOD_KEY, "RESTSTROOM_BASE_URL": BASE_URL})
    assert "SECRET_KEY" not in str(info.value)


def test_production_without_a_base_url_names_it() -> None:
    # Links in e-mails must not come from the request's Host header.
    with pytest.raises(ConfigError, match=r"RESTSTROOM_BASE_URL"):
        load_config("production", {"SECRET_KEY": GOOD_KEY, "DATABASE_URL": PG_URL})


def test_production_without_either_names_both() -> None:
    with pytest.raises(ConfigError, match=r"SECRET_KEY, DATABASE_URL, RESTSTROOM_BASE_URL"):
        load_config("production", {})


@pytest.mark.parametrize("key", [DEV_SECRET_KEY, "short", " " * 32, "ab" * 16])
def test_production_refuses_the_development_key_and_weak_keys(key: str) -> None:
    with pytest.raises(ConfigError, match=r"SECRET_KEY is the development default, shorter"):
        load_config(
            "production",
            {"SECRET_KEY": key, "DATABASE_URL": PG_URL, "RESTSTROOM_BASE_URL": BASE_URL},
        )


def test_production_with_its_variables_uses_them_and_secure_cookies() -> None:
    settings = load_config(
        "production",
        {"SECRET_KEY": GOOD_KEY, "DATABASE_URL": PG_URL, "RESTSTROOM_BASE_URL": BASE_URL + "/"},
    )
    assert settings["SECRET_KEY"] == GOOD_KEY
    assert settings["BASE_URL"] == BASE_URL
    assert settings["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://reststroom@db.example/reststroom"
    )
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["REMEMBER_COOKIE_SECURE"] is True
    assert settings["DEBUG"] is False


def test_create_app_in_production_fails_fast_without_its_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from marketplace import create_app

    monkeypatch.setenv("RESTSTROOM_CONFIG", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", PG_URL)
    with pytest.raises(ConfigError, match=r"SECRET_KEY"):
        create_app()


def test_an_unknown_config_name_is_quoted_with_the_allowed_names() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(environ={"RESTSTROOM_CONFIG": "prod"})
    assert str(info.value) == (
        "RESTSTROOM_CONFIG='prod' is not one of development, production, testing"
    )


def test_the_config_name_defaults_to_development_on_the_embedded_database() -> None:
    settings = load_config(environ={})
    assert settings["DEBUG"] is True
    assert settings["SECRET_KEY"] == DEV_SECRET_KEY


def test_a_configured_database_without_a_config_name_runs_as_production() -> None:
    # Fail closed: a deployment that forgets RESTSTROOM_CONFIG never gets the dev key.
    with pytest.raises(ConfigError, match=r"SECRET_KEY"):
        load_config(environ={"DATABASE_URL": PG_URL, "RESTSTROOM_BASE_URL": BASE_URL})
    settings = load_config(
        environ={"DATABASE_URL": PG_URL, "SECRET_KEY": GOOD_KEY, "RESTSTROOM_BASE_URL": BASE_URL}
    )
    assert settings["DEBUG"] is False
    assert settings["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    ("variable", "raw", "message"),
    [
        ("RESTSTROOM_ROAD_CIRCUITY", "abc", "RESTSTROOM_ROAD_CIRCUITY='abc' is not a number"),
        (
            "RESTSTROOM_DEFAULT_MAX_DISTANCE_KM",
            "-5",
            "RESTSTROOM_DEFAULT_MAX_DISTANCE_KM='-5' must be greater than 0",
        ),
        (
            "RESTSTROOM_IMPORT_MAX_ROWS",
            "1e4",
            "RESTSTROOM_IMPORT_MAX_ROWS='1e4' is not a whole number",
        ),
        (
            "RESTSTROOM_IMPORT_MAX_BYTES",
            "0",
            "RESTSTROOM_IMPORT_MAX_BYTES='0' must be greater than 0",
        ),
        ("SMTP_PORT", "twenty-five", "SMTP_PORT='twenty-five' is not a whole number"),
    ],
)
def test_a_bad_numeric_variable_is_named_and_quoted(variable: str, raw: str, message: str) -> None:
    environ = {variable: raw, "SMTP_HOST": "mail.example"}
    with pytest.raises(ConfigError) as info:
        load_config("development", environ)
    assert str(info.value) == message


def test_numeric_variables_are_read() -> None:
    settings = load_config(
        "development",
        {"RESTSTROOM_ROAD_CIRCUITY": "1.25", "RESTSTROOM_IMPORT_MAX_BYTES": "1000"},
    )
    assert settings["ROAD_CIRCUITY"] == 1.25
    assert settings["IMPORT_MAX_BYTES"] == 1000
    assert settings["MAX_CONTENT_LENGTH"] == 1_001_000


def test_testing_ignores_database_url_so_tests_never_touch_a_real_database() -> None:
    settings = load_config("testing", {"DATABASE_URL": PG_URL})
    assert settings["SQLALCHEMY_DATABASE_URI"] == "sqlite://"
    settings = load_config("testing", {"TEST_DATABASE_URL": "postgres://u@127.0.0.1/test"})
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1/test"
