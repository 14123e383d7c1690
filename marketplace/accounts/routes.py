"""Registration, login and logout, password change and password reset."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from marketplace.accounts import services as accounts
from marketplace.accounts import tokens
from marketplace.accounts.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    RegistrationForm,
    ResetPasswordForm,
    RevokeTokenForm,
    apply_service_errors,
)
from marketplace.accounts.organisations import request_registration
from marketplace.accounts.throttle import login_limits, password_reset_limits, registration_limit
from marketplace.core.urls import safe_next
from marketplace.errors import InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.i18n import current_language

bp = Blueprint("auth", __name__)

#: Status of a page re-rendered because the submitted form had errors.
INVALID_FORM_STATUS = 422


def render_form(template: str, form: FlaskForm, **context: Any) -> tuple[str, int]:
    """Render a form page: 200 when first shown, 422 when a submission had errors."""
    status = INVALID_FORM_STATUS if form.is_submitted() else 200
    return render_template(template, form=form, **context), status


def _dashboard() -> str:
    return url_for("region.dashboard")


def _fresh_session() -> None:
    """Start a new session (on login): nothing of the anonymous one survives but the
    language, so that a session fixed by someone else before the login is worthless."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _next_url(target: str | None) -> str:
    """Where to go after logging in: a local path only (see :func:`safe_next`)."""
    return safe_next(target, _dashboard())


@bp.route("/register", methods=["GET", "POST"])
@registration_limit
def register() -> Any:
    """Register an organisation with its first member; the answer is "check your e-mail"
    whether or not the address or the KvK number was registered already."""
    if current_user.is_authenticated:
        return redirect(_dashboard())
    form = RegistrationForm(locale=current_language())
    if form.validate_on_submit():
        try:
            request_registration(**form.data_for_service())
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            db.session.commit()
            flash(
                _(
                    "Check your e-mail: we have sent a message to %(email)s with the next step.",
                    email=form.email.data,
                ),
                "info",
            )
            return redirect(url_for("auth.login"))
    return render_form("accounts/register.html", form)


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login() -> Any:
    """Log in with e-mail address and password."""
    if current_user.is_authenticated:
        return redirect(_next_url(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data or "", form.password.data or "")
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            db.session.commit()
            _fresh_session()
            login_user(user, remember=bool(form.remember.data))
            flash(_("Welcome back, %(name)s.", name=user.name), "success")
            return redirect(_next_url(form.next.data))
    return render_form("accounts/login.html", form)


@bp.post("/logout")
def logout() -> Response:
    """Log out (POST only, so that a link or an image cannot log anyone out).

    Server side too: every session and remember-me cookie of the account stops working.
    """
    if current_user.is_authenticated:
        accounts.end_sessions(current_user._get_current_object())
        db.session.commit()
        logout_user()
        _fresh_session()
        flash(_("You are logged out."), "info")
    return redirect(url_for("region.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    """Change the password; every other session of this account is logged out."""
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                user,
                current_password=form.current_password.data or "",
                new_password=form.new_password.data or "",
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            db.session.commit()
            # The session id carries the session version: renew it to stay logged in here.
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            _fresh_session()
            login_user(user, remember=remembered in request.cookies)
            flash(
                _("Your password has been changed. Other devices have been logged out."), "success"
            )
            return redirect(_dashboard())
    return render_form("accounts/change_password.html", form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@password_reset_limits
def forgot_password() -> Any:
    """Ask for a reset link; the answer never reveals whether the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data or "")
        db.session.commit()
        minutes = int(current_app.config["PASSWORD_RESET_MAX_AGE_S"]) // 60
        flash(
            _(
                "If an account exists for this address, we have sent it a link to choose a new "
                "password. The link works once, for %(minutes)d minutes.",
                minutes=minutes,
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_form("accounts/forgot_password.html", form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    """Choose a new password with the token from the reset e-mail."""
    try:
        accounts.user_for_reset_token(token)
    except InvalidInput as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data or "")
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            flash(_("Your password has been changed; log in with it."), "success")
            return redirect(url_for("auth.login"))
    body, status = render_form("accounts/reset_password.html", form, token=token)
    # The token is in the URL: do not hand it to other sites in a Referer header.
    return body, status, {"Referrer-Policy": "no-referrer"}


# --- the account page: API tokens ----------------------------------------------------------


def _account_page(form: ApiTokenForm, *, new_token: str | None = None) -> tuple[str, int]:
    body, status = render_form(
        "accounts/account.html",
        form,
        api_tokens=tokens.live_tokens(current_user),
        revoke_form=RevokeTokenForm(),
        new_token=new_token,
    )
    if new_token is not None:
        status = 201
    # A page that shows a secret once is not kept by the browser or a proxy.
    return body, status, {"Cache-Control": "no-store"}  # type: ignore[return-value]


@bp.get("/account")
@login_required
def account() -> Any:
    """Your account: password, and the personal API tokens of your systems."""
    return _account_page(ApiTokenForm(formdata=None))


@bp.post("/account/tokens")
@login_required
def create_api_token() -> Any:
    """Create a named API token and show it once."""
    form = ApiTokenForm()
    if form.validate_on_submit():
        try:
            _row, token = tokens.create_token(current_user, name=form.name.data or "")
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            db.session.commit()
            return _account_page(ApiTokenForm(formdata=None), new_token=token)
    return _account_page(form)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int) -> Response:
    """Revoke one of your API tokens: it stops working at once."""
    if not RevokeTokenForm().validate_on_submit():
        return redirect(url_for("auth.account"))
    row = tokens.find_token(current_user, token_id) if token_id < 2**31 else None
    if row is None:
        raise NotFound()
    tokens.revoke_token(row)
    db.session.commit()
    flash(_("The token %(name)s is revoked.", name=row.name), "success")
    return redirect(url_for("auth.account"))
