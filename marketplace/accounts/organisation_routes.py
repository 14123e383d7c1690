"""Organisation profiles: members see and edit their own, coordinators any."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts import organisations as service
from marketplace.accounts.decorators import role_required
from marketplace.accounts.forms import apply_service_errors
from marketplace.accounts.models import Organisation
from marketplace.accounts.organisation_forms import OrganisationForm
from marketplace.accounts.routes import render_form
from marketplace.core.reference import SBICode
from marketplace.errors import InvalidInput
from marketplace.extensions import db

bp = Blueprint("organisations", __name__)


@bp.get("/organisation")
@login_required
def profile() -> Any:
    """Show the current user's own organisation."""
    if current_user.organisation_id is None:
        # Coordinators and administrators without a firm of their own pick one from the list.
        return redirect(url_for("organisations.index"))
    return _render_profile(service.organisation_for(current_user, current_user.organisation_id))


@bp.get("/organisations/")
@role_required("coordinator")
def index() -> str:
    """List every organisation (coordinators)."""
    return render_template("accounts/organisations/index.html", rows=service.all_organisations())


@bp.get("/organisations/<pid:public_id>")
@login_required
def view(public_id: str) -> str:
    """Show an organisation's profile and members."""
    return _render_profile(service.organisation_for(current_user, public_id))


def _render_profile(organisation: Organisation) -> str:
    sbi = db.session.get(SBICode, organisation.sbi_code) if organisation.sbi_code else None
    return render_template(
        "accounts/organisations/view.html",
        organisation=organisation,
        sbi=sbi,
        members=service.members_of(organisation),
        can_edit=service.can_edit(current_user, organisation),
    )


@bp.route("/organisations/<pid:public_id>/edit", methods=["GET", "POST"])
@login_required
def edit(public_id: str) -> Any:
    """Edit an organisation's profile; a coordinator's edit is audited."""
    organisation = service.organisation_for(current_user, public_id)
    service.ensure_can_edit(current_user, organisation)
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        try:
            changes = service.update_organisation(
                organisation,
                actor=current_user._get_current_object(),
                values={name: form[name].data for name in service.PROFILE_FIELDS},
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            db.session.commit()
            if changes:
                flash(
                    _("The profile of %(name)s has been saved.", name=organisation.name), "success"
                )
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("organisations.view", public_id=organisation.public_id))
    return render_form("accounts/organisations/edit.html", form, organisation=organisation)
