# French typography: the page texts checked here use the typographic apostrophe (U+2019).
# ruff: noqa: RUF001
"""The pages, driven as a user would through Django's test client."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from microwork.accounts.models import DocumentState, Organisation, PhoneCode, User, VerificationDocument
from microwork.ledger.models import Entry
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.notifications import sms
from microwork.testing import ACME_SIRET, PASSWORD, english, signed_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def sms_code() -> str:
    match = re.search(r"\b(\d{6})\b", sms.outbox[-1].body)
    assert match, sms.outbox[-1].body
    return match.group(1)


# --- Languages ------------------------------------------------------------


def test_home_is_in_french_by_default(client, db):
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Connexion" in html
    assert "S’inscrire comme tasker" in html or "Devenir tasker" in html


def test_home_is_in_english_when_chosen(client, db):
    english(client)
    html = client.get(reverse("web:home")).content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "Sign up as a tasker" in html


def test_home_links_to_the_three_signups(client, db):
    html = client.get(reverse("web:home")).content.decode()
    for name in ("web:signup_tasker", "web:signup_company", "web:signup_expert"):
        assert f'href="{reverse(name)}"' in html


def test_pages_load_htmx_and_the_stylesheet_from_this_server(client, db):
    html = client.get(reverse("web:home")).content.decode()
    assert "/static/web/site.css" in html
    assert re.search(r'<script src="/static/django_htmx/htmx[^"]*\.js"', html)
    assert 'name="viewport"' in html


# --- Sign in and out, password reset (AC01) -------------------------------


def test_ac01_login_with_email_in_any_case(client, alice):
    response = client.post(reverse("web:login"), {"username": "ALICE@example.fr", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("web:dashboard")
    assert client.get(reverse("web:dashboard")).status_code == 200


def test_ac01_login_with_a_wrong_password_shows_an_error(client, alice):
    response = client.post(reverse("web:login"), {"username": "alice@example.fr", "password": "nope-nope-nope"})
    assert response.status_code == 200
    assert "form-errors" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post(client, alice):
    signed_in(client, alice)
    assert client.get(reverse("web:logout")).status_code == 405
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert response.url == reverse("web:home")
    assert "_auth_user_id" not in client.session


def test_ac01_password_reset_by_emailed_link(client, alice):
    # given alice forgot her password
    response = client.post(reverse("web:password_reset"), {"email": "alice@example.fr"})
    assert response.status_code == 302
    assert response.url == reverse("web:password_reset_done")
    # then she receives a link in French
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.fr"]
    assert "mot de passe" in message.subject.lower()
    link = re.search(r"https?://[^/]+(/\S+)", message.body).group(1)
    # when she opens it and picks a weak password, it is refused
    form_url = client.get(link).url
    weak = client.post(form_url, {"new_password1": "password", "new_password2": "password"})
    assert weak.status_code == 200
    assert "courant" in weak.content.decode()  # "Ce mot de passe est trop courant."
    # and a good one is saved
    done = client.post(form_url, {"new_password1": "a-new-long-secret-42", "new_password2": "a-new-long-secret-42"})
    assert done.status_code == 302
    assert done.url == reverse("web:password_reset_complete")
    alice.refresh_from_db()
    assert alice.check_password("a-new-long-secret-42")


def test_ac01_password_reset_for_an_unknown_email_says_the_same_and_sends_nothing(client, db):
    response = client.post(reverse("web:password_reset"), {"email": "nobody@example.fr"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_ac01_reset_pages_render(client, db):
    for name in ("web:password_reset", "web:password_reset_done", "web:password_reset_complete"):
        assert client.get(reverse(name)).status_code == 200
    invalid = reverse("web:password_reset_confirm", kwargs={"uidb64": "xx", "token": "yy"})
    assert "plus valide" in client.get(invalid).content.decode()


# --- Sign up (HM01, HM03) -------------------------------------------------

TASKER = {
    "display_name": "Dora",
    "email": "dora@example.fr",
    "password": "dora-secret-2026",
    "phone": "06 12 34 56 70",
    "accept_terms": "on",
}


def test_signup_pages_render(client, db):
    for name in ("web:signup_tasker", "web:signup_company", "web:signup_expert"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert 'name="accept_terms"' in response.content.decode()


def test_hm01_tasker_signs_up_and_is_sent_a_code(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web:signup_tasker"), TASKER)
    assert response.status_code == 302
    assert response.url == reverse("web:phone_verify")
    dora = User.objects.get(email="dora@example.fr")
    assert dora.is_tasker
    assert dora.phone == "+33612345670"
    assert dora.terms_accepted_at is not None
    assert not dora.phone_verified
    assert int(client.session["_auth_user_id"]) == dora.pk
    assert [m.to for m in sms.outbox] == ["+33612345670"]


def test_hm01_the_sms_is_in_french_with_no_digits_but_the_code_and_minutes(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("web:signup_tasker"), TASKER)
    body = sms.outbox[-1].body
    assert body.startswith("Votre code Microwork")
    assert re.findall(r"\d+", body) == [sms_code(), "10"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"accept_terms": ""}, "accept_terms", "accepter les conditions"),
        ({"password": "password"}, "password", "trop courant"),
        ({"password": "abc"}, "password", "trop court"),
        ({"phone": "01 23 45 67 89"}, "phone", "numéro de mobile valide"),
        ({"phone": ""}, "phone", "obligatoire"),
        ({"email": "not-an-email"}, "email", "adresse e-mail valide"),
    ],
)
def test_hm01_bad_tasker_signup_shows_the_error_and_creates_nothing(client, db, change, field, message):
    response = client.post(reverse("web:signup_tasker"), {**TASKER, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"].errors[field]
    assert not User.objects.exists()
    assert sms.outbox == []


def test_hm01_signup_shows_every_error_at_once(client, db):
    # given a bad email, a password too short, a landline and the terms unticked
    bad = {"email": "not-an-email", "password": "abc", "phone": "01 23 45 67 89", "accept_terms": ""}
    response = client.post(reverse("web:signup_tasker"), {**TASKER, **bad})
    # then one answer names all four, each under its own field
    errors = response.context["form"].errors
    assert set(errors) == {"email", "password", "phone", "accept_terms"}
    page = response.content.decode()
    for message in ("adresse e-mail valide", "trop court", "numéro de mobile valide", "accepter les conditions"):
        assert message in page
    assert not User.objects.exists()
    # and once they are fixed, nothing stale stays: the signup goes through
    response = client.post(reverse("web:signup_tasker"), TASKER)
    assert response.status_code == 302 and User.objects.count() == 1


def test_hm01_taken_email_is_refused(client, alice):
    response = client.post(reverse("web:signup_tasker"), {**TASKER, "email": "Alice@Example.fr"})
    assert response.status_code == 200
    assert "utilise déjà cette adresse" in response.context["form"].errors["email"][0]
    assert User.objects.count() == 1


def test_hm02_a_verified_phone_backs_one_account(client, alice):
    response = client.post(reverse("web:signup_tasker"), {**TASKER, "phone": "+33 6 12 34 56 78"})
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert User.objects.count() == 1


COMPANY = {
    "display_name": "Globex",
    "legal_name": "Globex SAS",
    "siret": ACME_SIRET,
    "email": "hello@globex.fr",
    "password": "globex-secret-2026",
    "accept_terms": "on",
}


def test_hm03_company_signs_up_with_its_siret(client, db):
    response = client.post(reverse("web:signup_company"), COMPANY)
    assert response.status_code == 302
    assert response.url == reverse("web:dashboard")
    organisation = Organisation.objects.get(user__email="hello@globex.fr")
    assert organisation.siret == ACME_SIRET
    assert organisation.legal_name == "Globex SAS"
    assert organisation.user.is_company


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"siret": "73282932000075"}, "siret"),  # fails the Luhn check
        ({"siret": ""}, "siret"),
        ({"accept_terms": ""}, "accept_terms"),
        ({"password": "12345678"}, "password"),
    ],
)
def test_hm03_bad_company_signup_shows_the_error_and_creates_nothing(client, db, change, field):
    response = client.post(reverse("web:signup_company"), {**COMPANY, **change})
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not User.objects.exists()
    assert not Organisation.objects.exists()


def test_hm03_invalid_siret_message_is_shown_in_french(client, db):
    response = client.post(reverse("web:signup_company"), {**COMPANY, "siret": "73282932000075"})
    assert "numéro SIRET n’est pas valide" in response.content.decode()


def test_am13_expert_signs_up_with_or_without_siret(client, db):
    base = {**COMPANY, "display_name": "Emile", "legal_name": "", "siret": "", "email": "emile@example.fr"}
    response = client.post(reverse("web:signup_expert"), base)
    assert response.status_code == 302
    emile = User.objects.get(email="emile@example.fr")
    assert emile.is_expert
    assert not Organisation.objects.filter(user=emile).exists()
    client.logout()
    bad = client.post(reverse("web:signup_expert"), {**base, "email": "ernest@example.fr", "siret": "123"})
    assert bad.context["form"].errors["siret"]
    assert not User.objects.filter(email="ernest@example.fr").exists()


def test_signed_in_user_is_sent_from_signup_to_dashboard(client, alice):
    signed_in(client, alice)
    response = client.get(reverse("web:signup_tasker"))
    assert response.status_code == 302
    assert response.url == reverse("web:dashboard")


# --- Phone verification (HM01) --------------------------------------------


@pytest.fixture
def dora(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("web:signup_tasker"), TASKER)
    return User.objects.get(email="dora@example.fr")


def test_hm01_phone_verify_page_renders(client, dora):
    response = client.get(reverse("web:phone_verify"))
    assert response.status_code == 200
    assert "+33 6 12 34 56 70" in response.content.decode()


def test_hm01_wrong_code_is_refused(client, dora):
    wrong = "000000" if sms_code() != "000000" else "111111"
    response = client.post(reverse("web:phone_verify"), {"code": wrong})
    assert response.status_code == 200
    assert "pas celui que nous avons envoyé" in response.context["form"].errors["code"][0]
    dora.refresh_from_db()
    assert not dora.phone_verified


def test_hm01_right_code_verifies_the_phone(client, dora):
    response = client.post(reverse("web:phone_verify"), {"code": sms_code()})
    assert response.status_code == 302
    assert response.url == reverse("web:dashboard")
    dora.refresh_from_db()
    assert dora.phone_verified
    html = client.get(reverse("web:dashboard")).content.decode()
    assert "Téléphone vérifié" in html


def test_hm01_a_new_code_too_soon_is_refused_nicely(client, dora):
    response = client.post(reverse("web:phone_code_send"), follow=True)
    assert response.status_code == 200
    assert "attendez une minute" in response.content.decode()
    assert len(sms.outbox) == 1


def test_hm01_a_new_code_through_htmx_answers_a_status_line(
    client, dora, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(timezone.now() + timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web:phone_code_send"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert "nouveau code" in response.content.decode()
    assert len(sms.outbox) == 2
    assert PhoneCode.objects.filter(user=dora).count() == 2


def test_hm01_phone_number_can_be_corrected_before_verification(
    client, dora, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(timezone.now() + timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web:phone_change"), {"phone": "0698765400"})
    assert response.status_code == 302
    dora.refresh_from_db()
    assert dora.phone == "+33698765400"
    assert sms.outbox[-1].to == "+33698765400"


def test_verified_tasker_skips_the_phone_page(client, alice):
    signed_in(client, alice)
    assert client.get(reverse("web:phone_verify")).url == reverse("web:dashboard")


# --- Dashboard ------------------------------------------------------------


def test_dashboard_needs_a_login(client, db):
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:login"))


@pytest.mark.parametrize("persona", ["acme", "alice", "charlie", "emma", "staff"])
def test_dashboard_renders_for_each_role(client, persona, request):
    user = request.getfixturevalue(persona)
    response = signed_in(client, user).get(reverse("web:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Bonjour, {user.display_name}" in html
    assert ("Recharger votre solde" in html) == user.is_company
    assert ("Documents de vérification" in html) == user.is_expert


def test_dashboard_shows_the_wallet_and_its_movements(client, acme):
    html = signed_in(client, acme).get(reverse("web:dashboard")).content.decode()
    assert "100,00\u00a0€" in html or "100,00 €" in html
    assert "Rechargement" in html


def test_tasker_dashboard_shows_whether_the_phone_is_verified(client, alice, charlie):
    assert "Téléphone vérifié" in signed_in(client, alice).get(reverse("web:dashboard")).content.decode()
    html = signed_in(client, charlie).get(reverse("web:dashboard")).content.decode()
    assert "Téléphone non vérifié" in html
    assert reverse("web:phone_verify") in html


def test_topup_from_the_dashboard_credits_the_wallet(client, acme):
    response = signed_in(client, acme).post(reverse("web:topup"), {"amount": "25.50"})
    assert response.status_code == 302
    assert wallet_balance(acme).available_cents == 100_00 + 25_50
    assert "125,50" in client.get(reverse("web:dashboard")).content.decode()
    assert ledger_audit() == []


def test_topup_accepts_a_french_decimal_comma(client, acme):
    signed_in(client, acme).post(reverse("web:topup"), {"amount": "12,30"})
    assert wallet_balance(acme).available_cents == 100_00 + 12_30


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "20000000"])
def test_bad_topup_shows_an_error_and_moves_nothing(client, acme, amount):
    entries = Entry.objects.count()
    response = signed_in(client, acme).post(reverse("web:topup"), {"amount": amount})
    assert response.status_code == 400
    assert response.context["topup_form"].errors["amount"]
    assert wallet_balance(acme).available_cents == 100_00
    assert Entry.objects.count() == entries


def test_topup_is_for_signed_in_users_only(client, db):
    response = client.post(reverse("web:topup"), {"amount": "10"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:login"))


# --- Expert documents (AM13) ----------------------------------------------


def test_am13_expert_uploads_a_document(client, emma):
    upload = SimpleUploadedFile("kbis.pdf", PDF, content_type="application/pdf")
    response = signed_in(client, emma).post(reverse("web:document_upload"), {"kind": "kbis", "file": upload})
    assert response.status_code == 302
    document = VerificationDocument.objects.get(user=emma)
    assert document.kind == "kbis"
    assert document.state == DocumentState.PENDING
    html = client.get(reverse("web:dashboard")).content.decode()
    assert "En attente de vérification" in html
    assert "Pas encore vérifié" in html


def test_am13_a_file_that_is_not_a_pdf_or_image_is_refused(client, emma):
    upload = SimpleUploadedFile("kbis.pdf", b"MZ not a pdf at all", content_type="application/pdf")
    response = signed_in(client, emma).post(reverse("web:document_upload"), {"kind": "kbis", "file": upload})
    assert response.status_code == 400
    assert response.context["document_form"].errors["file"]
    assert not VerificationDocument.objects.exists()


def test_am13_an_expired_document_is_refused(client, emma):
    upload = SimpleUploadedFile("v.pdf", PDF, content_type="application/pdf")
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = signed_in(client, emma).post(
        reverse("web:document_upload"), {"kind": "vigilance", "file": upload, "valid_until": yesterday}
    )
    assert response.status_code == 400
    assert response.context["document_form"].errors["valid_until"]
    assert not VerificationDocument.objects.exists()


def test_am13_only_experts_upload_documents(client, alice):
    upload = SimpleUploadedFile("kbis.pdf", PDF, content_type="application/pdf")
    response = signed_in(client, alice).post(reverse("web:document_upload"), {"kind": "kbis", "file": upload})
    assert response.status_code == 403
    assert not VerificationDocument.objects.exists()


@pytest.fixture
def emma_kbis(emma):
    return VerificationDocument.objects.create(
        user=emma, kind="kbis", file=SimpleUploadedFile("kbis.pdf", PDF), content_type="application/pdf"
    )


def test_am13_document_file_is_for_its_owner_and_staff_only(client, emma_kbis, alice, staff):
    url = reverse("web:document_file", args=[emma_kbis.pk])
    assert signed_in(client, emma_kbis.user).get(url).status_code == 200
    assert signed_in(client, staff).get(url).status_code == 200
    assert signed_in(client, alice).get(url).status_code == 404


# --- Staff review (AM13) --------------------------------------------------


def test_am13_staff_page_lists_pending_documents(client, staff, emma_kbis):
    response = signed_in(client, staff).get(reverse("web:staff_documents"))
    assert response.status_code == 200
    assert "emma@example.fr" in response.content.decode()


@pytest.mark.parametrize("persona", ["acme", "alice", "emma"])
def test_am13_staff_page_is_forbidden_to_others(client, persona, request, emma_kbis):
    user = request.getfixturevalue(persona)
    signed_in(client, user)
    assert client.get(reverse("web:staff_documents")).status_code == 403
    assert client.post(reverse("web:staff_document_approve", args=[emma_kbis.pk])).status_code == 403
    emma_kbis.refresh_from_db()
    assert emma_kbis.state == DocumentState.PENDING


def test_am13_staff_approves_a_document(client, staff, emma_kbis):
    response = signed_in(client, staff).post(reverse("web:staff_document_approve", args=[emma_kbis.pk]))
    assert response.status_code == 302
    emma_kbis.refresh_from_db()
    assert emma_kbis.state == DocumentState.APPROVED
    assert emma_kbis.reviewed_by == staff


def test_am13_staff_approves_through_htmx_and_gets_the_row_back(client, staff, emma_kbis):
    until = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = signed_in(client, staff).post(
        reverse("web:staff_document_approve", args=[emma_kbis.pk]), {"valid_until": until}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert f'id="document-{emma_kbis.pk}"' in html
    assert "Approuvé" in html
    emma_kbis.refresh_from_db()
    assert emma_kbis.valid_until.isoformat() == until


def test_am13_approving_with_a_past_date_shows_the_error(client, staff, emma_kbis):
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = signed_in(client, staff).post(
        reverse("web:staff_document_approve", args=[emma_kbis.pk]), {"valid_until": past}, HTTP_HX_REQUEST="true"
    )
    assert "passé" in response.content.decode()
    emma_kbis.refresh_from_db()
    assert emma_kbis.state == DocumentState.PENDING


def test_am13_refusing_needs_a_reason(client, staff, emma_kbis):
    signed_in(client, staff)
    url = reverse("web:staff_document_refuse", args=[emma_kbis.pk])
    client.post(url, {"reason": ""})
    emma_kbis.refresh_from_db()
    assert emma_kbis.state == DocumentState.PENDING
    client.post(url, {"reason": "Illisible"})
    emma_kbis.refresh_from_db()
    assert emma_kbis.state == DocumentState.REFUSED
    assert emma_kbis.refusal_reason == "Illisible"
    html = signed_in(client, emma_kbis.user).get(reverse("web:dashboard")).content.decode()
    assert "Illisible" in html
    assert "Refusé" in html


def test_am13_a_reviewed_document_cannot_be_reviewed_again(client, staff, emma_kbis):
    signed_in(client, staff)
    client.post(reverse("web:staff_document_refuse", args=[emma_kbis.pk]), {"reason": "Flou"})
    response = client.post(reverse("web:staff_document_approve", args=[emma_kbis.pk]), follow=True)
    assert "en attente peut être approuvé" in response.content.decode()
    emma_kbis.refresh_from_db()
    assert emma_kbis.state == DocumentState.REFUSED


# --- Admin ----------------------------------------------------------------


def test_admin_pages_render_for_staff(client, staff, acme, emma_kbis):
    signed_in(client, staff)
    for model in ("accounts/user", "accounts/organisation", "accounts/verificationdocument", "accounts/apitoken"):
        assert client.get(f"/admin/{model}/").status_code == 200, model
    assert client.get(f"/admin/accounts/user/{acme.pk}/change/").status_code == 200
    for model in ("ledger/account", "ledger/entry", "ledger/topup"):
        assert client.get(f"/admin/{model}/").status_code == 200, model
    entry = Entry.objects.first()
    assert client.get(f"/admin/ledger/entry/{entry.pk}/change/").status_code == 200


def test_ledger_admin_is_read_only(client, staff, acme):
    signed_in(client, staff)
    entry = Entry.objects.first()
    assert client.get("/admin/ledger/entry/add/").status_code == 403
    assert client.get(f"/admin/ledger/entry/{entry.pk}/delete/").status_code == 403
    html = client.get(f"/admin/ledger/entry/{entry.pk}/change/").content.decode()
    assert 'type="submit"' not in html or "_save" not in html


def test_hm01_terms_link_works_without_javascript_and_opens_a_dialog_with_it(client, db):
    page = client.get(reverse("web:signup_tasker")).content.decode()
    # a plain link to the terms page (no JavaScript needed), which htmx loads into the dialog
    assert f'href="{reverse("web:legal_terms_of_use")}"' in page
    assert f'hx-get="{reverse("web:legal_terms_of_use")}"' in page and 'data-dialog="legal-dialog"' in page
    assert '<dialog class="legal-dialog" id="legal-dialog"' in page
    sale = client.get(reverse("web:signup_company")).content.decode()
    assert f'hx-get="{reverse("web:legal_terms_of_sale")}"' in sale


@pytest.mark.parametrize(
    ("name", "document"),
    [
        ("web:signup_tasker", "conditions générales d’utilisation"),
        ("web:signup_company", "conditions générales de vente"),
    ],
)
def test_hm01_hm03_unticked_terms_box_has_its_own_message(client, db, name, document):
    response = client.post(reverse(name), {"accept_terms": ""})
    errors = response.context["form"].errors["accept_terms"]
    assert errors == [
        f"Cochez cette case pour accepter les {document}\u202f: nous ne pouvons pas ouvrir votre compte sans cela."
    ]
