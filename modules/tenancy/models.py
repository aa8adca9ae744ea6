"""Tables of the tenancy module (SQLAlchemy Core; the DDL lives in migrations/).

Queries select plain rows from these tables; nothing here is an ORM entity.
Columns ending in `_enc` hold AES-GCM ciphertext (see app/crypto.py); columns
ending in `_index` hold keyed hashes for exact lookups.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import BYTEA, JSONB, UUID

from app.tables import deactivated_at, id_column, tenant_column, timestamps

metadata = sa.MetaData()


tenants = sa.Table(
    "tenants",
    metadata,
    id_column(),
    sa.Column("slug", sa.Text, nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("settings", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column(
        "features",
        JSONB,
        nullable=False,
        server_default=sa.text('\'{"products": true, "verifications": true, "commissions": true}\'::jsonb'),
    ),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.text("true")),
    *timestamps(),
)

organizations = sa.Table(
    "organizations",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'active'::text")),
    sa.Column("tax_id_enc", BYTEA),
    sa.Column("email", sa.Text),
    sa.Column("phone", sa.Text),
    sa.Column("onboarding_date", sa.Date),
    sa.Column("contract_details", JSONB),
    sa.Column("settings", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    *timestamps(),
    deactivated_at(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "name"),
)

facilities = sa.Table(
    "facilities",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("organization_id", UUID(as_uuid=True), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("npi", sa.Text),
    sa.Column("identifier", sa.Text),
    sa.Column("identifier_type", sa.Text),
    sa.Column("is_ship_to", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("is_bill_to", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("timezone", sa.Text, nullable=False, server_default=sa.text("'UTC'::text")),
    sa.Column("phone", sa.Text),
    sa.Column("email", sa.Text),
    sa.Column("business_hours", JSONB),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'active'::text")),
    *timestamps(),
    deactivated_at(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "npi"),
    sa.Index("facilities_org", "tenant_id", "organization_id"),
)

addresses = sa.Table(
    "addresses",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("owner_type", sa.Text, nullable=False),
    sa.Column("owner_id", UUID(as_uuid=True), nullable=False),
    sa.Column("address_type", sa.Text, nullable=False),
    sa.Column("street_1", sa.Text, nullable=False),
    sa.Column("street_2", sa.Text),
    sa.Column("city", sa.Text, nullable=False),
    sa.Column("state_province", sa.Text, nullable=False),
    sa.Column("postal_code", sa.Text, nullable=False),
    sa.Column("country_code", sa.Text, nullable=False, server_default=sa.text("'USA'::text")),
    sa.Column("is_primary", sa.Boolean, nullable=False, server_default=sa.text("false")),
    *timestamps(),
    deactivated_at(),
    sa.Index("addresses_owner", "tenant_id", "owner_id"),
)

users = sa.Table(
    "users",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("full_name", sa.Text, nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("email_verified_at", sa.DateTime(timezone=True)),
    sa.Column("last_login_at", sa.DateTime(timezone=True)),
    sa.Column("failed_login_count", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("locked_until", sa.DateTime(timezone=True)),
    sa.Column("settings", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    *timestamps(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "email"),
)

providers = sa.Table(
    "providers",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("user_id", UUID(as_uuid=True)),
    sa.Column("first_name", sa.Text, nullable=False),
    sa.Column("last_name", sa.Text, nullable=False),
    sa.Column("middle_name", sa.Text),
    sa.Column("suffix", sa.Text),
    sa.Column("credentials", sa.Text, nullable=False),
    sa.Column("npi", sa.Text, nullable=False),
    sa.Column("taxonomy_code", sa.Text),
    sa.Column("contact_email", sa.Text),
    sa.Column("contact_phone", sa.Text),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'pending_verification'::text")),
    *timestamps(),
    deactivated_at(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "npi"),
)

provider_assignments = sa.Table(
    "provider_assignments",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("facility_id", UUID(as_uuid=True), nullable=False),
    sa.Column("provider_id", UUID(as_uuid=True), nullable=False),
    sa.Column("is_primary_location", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("can_order", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'active'::text")),
    sa.Column("start_date", sa.Date, nullable=False, server_default=sa.text("CURRENT_DATE")),
    sa.Column("end_date", sa.Date),
    *timestamps(),
    sa.UniqueConstraint("tenant_id", "facility_id", "provider_id"),
    sa.Index("provider_assignments_provider", "tenant_id", "provider_id"),
)

permissions = sa.Table(
    "permissions",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("module", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
)

roles = sa.Table(
    "roles",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("is_system", sa.Boolean, nullable=False, server_default=sa.text("false")),
    *timestamps(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "key"),
)

role_permissions = sa.Table(
    "role_permissions",
    metadata,
    tenant_column(),
    sa.Column("role_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("permission_key", sa.Text, primary_key=True),
)

user_roles = sa.Table(
    "user_roles",
    metadata,
    tenant_column(),
    sa.Column("user_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("role_id", UUID(as_uuid=True), primary_key=True),
)

memberships = sa.Table(
    "memberships",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("organization_id", UUID(as_uuid=True)),
    sa.Column("facility_id", UUID(as_uuid=True)),
    sa.Column("role", sa.Text, nullable=False, server_default=sa.text("'member'::text")),
    sa.Column("is_primary", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint(
        "tenant_id", "user_id", "organization_id", "facility_id", postgresql_nulls_not_distinct=True
    ),
    sa.Index("memberships_user", "tenant_id", "user_id"),
)

patients = sa.Table(
    "patients",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("facility_id", UUID(as_uuid=True), nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'active'::text")),
    sa.Column("mrn_enc", BYTEA, nullable=False),
    sa.Column("mrn_index", BYTEA, nullable=False),
    sa.Column("name_dob_index", BYTEA, nullable=False),
    sa.Column("first_name_enc", BYTEA, nullable=False),
    sa.Column("last_name_enc", BYTEA, nullable=False),
    sa.Column("date_of_birth_enc", BYTEA, nullable=False),
    sa.Column("sex_enc", BYTEA),
    sa.Column("phone_enc", BYTEA),
    sa.Column("email_enc", BYTEA),
    *timestamps(),
    deactivated_at(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "mrn_index"),
    sa.Index("patients_facility", "tenant_id", "facility_id"),
    sa.Index("patients_name_dob", "tenant_id", "name_dob_index"),
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("token_hash", BYTEA, nullable=False, unique=True),
    sa.Column("family_id", UUID(as_uuid=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.Column("replaced_by", UUID(as_uuid=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("refresh_tokens_family", "tenant_id", "family_id"),
)


principal_versions = sa.Table(
    "principal_versions",
    metadata,
    tenant_column(),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False, server_default=sa.text("1")),
    sa.PrimaryKeyConstraint("tenant_id", "user_id"),
)
"""Bumped by triggers when what a principal is made of changes (migration 0007): a user's
row (user_id), or the whole tenant's (user_id all zeros)."""
