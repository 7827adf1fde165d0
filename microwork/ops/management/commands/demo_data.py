"""Demo accounts for a first look at the platform; running it again keeps the data."""

import io
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from PIL import Image

from microwork.accounts import services as accounts
from microwork.accounts.legal import required_kinds
from microwork.accounts.models import (
    DocumentState,
    ExpertProfileState,
    ExpertStatus,
    Organisation,
    Role,
    User,
    VerificationDocument,
    required_documents,
)
from microwork.accounts.services import document_longest_validity
from microwork.ledger.payments import topup_create
from microwork.ledger.selectors import wallet_balance
from microwork.missions import services as missions
from microwork.missions.models import Mission
from microwork.ops.demo_gigs import demo_gigs

DEMO_PASSWORD = "demo-microwork-2026"
COMPANY_BALANCE_CENTS = 500_00

PEOPLE: list[dict[str, Any]] = [
    {"email": "staff@demo.microwork.fr", "display_name": "Sam (staff)", "role": Role.STAFF},
    {"email": "acme@demo.microwork.fr", "display_name": "Acme", "role": Role.COMPANY, "siret": "73282932000074"},
    {"email": "alice@demo.microwork.fr", "display_name": "Alice", "role": Role.TASKER, "phone": "+33612345678"},
    {"email": "bob@demo.microwork.fr", "display_name": "Bob", "role": Role.TASKER, "phone": "+33698765432"},
    {"email": "emma@demo.microwork.fr", "display_name": "Emma", "role": Role.EXPERT, "siret": "55208131766522"},
]

DEMO_MISSIONS: list[dict[str, Any]] = [
    {
        "title": "Photographier le rayon biscuits",
        "category": "photo",
        "instructions": "Rendez-vous au Monoprix de la rue de Rivoli. Photographiez le rayon biscuits en entier, "
        "de face, sans personne dans le cadre, puis comptez les paquets de la marque Acme.",
        "estimated_minutes": 15,
        "reward_cents": 450,
        "places": 3,
        "location": missions.Location(lat=48.8606, lon=2.3376, radius_km=3),
        "questions": [
            {"key": "photo", "label": "Photo du rayon", "kind": "photo"},
            {"key": "count", "label": "Nombre de paquets Acme", "kind": "short_text"},
        ],
    },
    {
        "title": "Tester le tunnel de commande du site",
        "category": "website_test",
        "instructions": "Ouvrez acme.example, ajoutez deux articles au panier et allez jusqu'au paiement sans payer. "
        "Notez chaque étape qui vous a semblé confuse.",
        "estimated_minutes": 20,
        "reward_cents": 600,
        "places": 5,
        "questions": [
            {"key": "steps", "label": "Étapes confuses", "kind": "long_text"},
            {"key": "score", "label": "Note globale", "kind": "choice", "choices": ["1", "2", "3", "4", "5"]},
        ],
    },
    {
        "title": "Classer 20 factures par fournisseur",
        "category": "document_categorisation",
        "instructions": "Pour chaque facture du lien fourni, indiquez le fournisseur et la catégorie de dépense.",
        "estimated_minutes": 10,
        "reward_cents": 250,
        "places": 10,
    },
]


class Command(BaseCommand):
    help = "Create the demo accounts (staff, a company with a balance, two verified taskers, a verified expert)."

    def handle(self, *args: Any, **options: Any) -> None:
        users = {}
        for person in PEOPLE:
            user = users[person["role"]] = self._person(person)
            if user.is_company and wallet_balance(user).available_cents == 0:
                topup_create(user=user, amount_cents=COMPANY_BALANCE_CENTS)
            if user.is_expert:
                self._verify_expert(user, staff=users[Role.STAFF])
        if not Mission.objects.filter(company=users[Role.COMPANY]).exists():
            self._missions(company=users[Role.COMPANY], staff=users[Role.STAFF])
        demo_gigs(expert=users[Role.EXPERT], buyer=users[Role.COMPANY])
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in at http://127.0.0.1:8000/ with:"))
        for person in PEOPLE:
            self.stdout.write(f"  {person['role']:<8} {person['email']:<28} password: {DEMO_PASSWORD}")
        self.stdout.write("  Staff add the site to an authenticator app at their first sign-in (second factor).")

    @transaction.atomic
    def _person(self, person: dict[str, Any]) -> User:
        user = User.objects.filter(email=person["email"]).first()
        if user is not None:
            return user
        now = timezone.now()
        staff = person["role"] == Role.STAFF
        user = User.objects.create_user(
            person["email"],
            DEMO_PASSWORD,
            display_name=person["display_name"],
            role=person["role"],
            phone=person.get("phone", ""),
            phone_verified_at=now if person.get("phone") else None,
            terms_version="demo",
            terms_accepted_at=now,
            is_staff=staff,
            is_superuser=staff,
        )
        if person.get("siret"):
            Organisation.objects.create(user=user, siret=person["siret"], legal_name=person["display_name"])
        accounts.consents_record(user=user, kinds=required_kinds(user.role))
        if user.is_expert:
            accounts.expert_profile_create(user=user)
        return user

    def _missions(self, *, company: User, staff: User) -> None:
        for mission in DEMO_MISSIONS:
            created = missions.mission_create(company=company, **mission)
            missions.mission_submit(mission=created, by=company)
            missions.mission_publish(mission=created, by=staff)

    @transaction.atomic
    def _verify_expert(self, expert: User, *, staff: User) -> None:
        """A hand-picked profile (AM17) and every document valid (AM13): the demo expert may sell."""
        profile = accounts.expert_profile_of(expert)
        if profile.state != ExpertProfileState.APPROVED:
            if profile.state == ExpertProfileState.PENDING:
                accounts.expert_profile_refuse(profile=profile, by=staff, reason="demo data reset")
            accounts.expert_profile_update(
                user=expert,
                status=ExpertStatus.MICRO_ENTREPRENEUR,
                headline="Analyste de données freelance",
                bio="J'aide les PME à tirer parti de leurs données : tableaux de bord, nettoyage, automatisation.",
                skills=["Python", "SQL", "Tableaux de bord"],
            )
            buffer = io.BytesIO()
            Image.new("RGB", (256, 256), (40, 110, 170)).save(buffer, format="JPEG")
            accounts.expert_profile_photo_set(
                user=expert, upload=SimpleUploadedFile("emma.jpg", buffer.getvalue(), content_type="image/jpeg")
            )
            accounts.expert_profile_submit(user=expert)
            accounts.expert_profile_approve(profile=profile, by=staff, note="Profil de démonstration.")
            profile.refresh_from_db()
        today = timezone.localdate()
        for kind in required_documents(profile.status):
            valid = expert.documents.filter(kind=kind, state=DocumentState.APPROVED).exclude(valid_until__lt=today)
            if valid.exists():
                continue
            document = VerificationDocument(user=expert, kind=kind, content_type="application/pdf", issued_on=today)
            document.file.save(f"{kind}.pdf", ContentFile(b"%PDF-1.4\n% demo document\n%%EOF\n"), save=False)
            document.state = DocumentState.APPROVED
            document.valid_until = document_longest_validity(document, today)
            document.reviewed_at = timezone.now()
            document.save()
