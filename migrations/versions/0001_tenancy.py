"""Tenancy foundation: API role, tenants, organizations, facilities, people, RBAC, PHI, audit.

Every tenant-scoped table gets row-level security keyed on the transaction-local
setting `app.tenant_id` (USING and WITH CHECK), is FORCEd so even the owner obeys
it, and carries `tenant_id` in its unique keys and foreign keys. Facilities,
organizations, patients, providers and provider assignments also get a
RESTRICTIVE policy that narrows rows to the user's memberships unless the
request runs with `app.scope = 'all'`.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from alembic import op

from app.settings import get_settings
from migrations.rls import tenant_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TENANT_TABLES = [
    "organizations",
    "facilities",
    "addresses",
    "users",
    "providers",
    "provider_assignments",
    "roles",
    "role_permissions",
    "user_roles",
    "memberships",
    "patients",
    "audit_log",
    "phi_access_log",
    "refresh_tokens",
]
# The API role may only read and add to the logs, never change them.
APPEND_ONLY = ["audit_log", "phi_access_log"]
SCOPED = {
    "organizations": "id = ANY(app_org_ids())",
    "facilities": "id = ANY(app_facility_ids())",
    "patients": "facility_id = ANY(app_facility_ids())",
    "provider_assignments": "facility_id = ANY(app_facility_ids())",
    "providers": (
        "EXISTS (SELECT 1 FROM provider_assignments a WHERE a.tenant_id = providers.tenant_id "
        "AND a.provider_id = providers.id AND a.facility_id = ANY(app_facility_ids()))"
    ),
}

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;

-- Helpers read the transaction-local settings the API sets per request.
-- An unset or empty setting yields NULL, which matches no row.
CREATE FUNCTION app_tenant_id() RETURNS uuid LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;
CREATE FUNCTION app_scope_all() RETURNS boolean LANGUAGE sql STABLE AS
  $$ SELECT coalesce(current_setting('app.scope', true), '') = 'all' $$;
CREATE FUNCTION app_facility_ids() RETURNS uuid[] LANGUAGE sql STABLE AS
  $$ SELECT coalesce(
       string_to_array(nullif(current_setting('app.facility_ids', true), ''), ',')::uuid[], '{}') $$;
CREATE FUNCTION app_org_ids() RETURNS uuid[] LANGUAGE sql STABLE AS
  $$ SELECT coalesce(
       string_to_array(nullif(current_setting('app.org_ids', true), ''), ',')::uuid[], '{}') $$;

CREATE TABLE tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name text NOT NULL,
  settings jsonb NOT NULL DEFAULT '{}',
  features jsonb NOT NULL DEFAULT '{"products": true, "verifications": true, "commissions": true}',
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Login knows a tenant only by its slug; this resolves exactly one active slug
-- without letting the API role list tenants.
CREATE FUNCTION tenant_id_for_slug(p_slug text) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
  $$ SELECT id FROM tenants WHERE slug = p_slug AND is_active $$;

CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  type text NOT NULL,
  status text NOT NULL DEFAULT 'active',
  tax_id_enc bytea,
  email text,
  phone text,
  onboarding_date date,
  contract_details jsonb,
  settings jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, name)
);

CREATE TABLE facilities (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  organization_id uuid NOT NULL,
  name text NOT NULL,
  type text NOT NULL,
  npi text,
  identifier text,
  identifier_type text,
  is_ship_to boolean NOT NULL DEFAULT true,
  is_bill_to boolean NOT NULL DEFAULT true,
  timezone text NOT NULL DEFAULT 'UTC',
  phone text,
  email text,
  business_hours jsonb,
  status text NOT NULL DEFAULT 'active',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, npi),
  FOREIGN KEY (tenant_id, organization_id) REFERENCES organizations (tenant_id, id)
);
CREATE INDEX facilities_org ON facilities (tenant_id, organization_id);

CREATE TABLE addresses (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  owner_type text NOT NULL CHECK (owner_type IN ('organization', 'facility', 'provider')),
  owner_id uuid NOT NULL,
  address_type text NOT NULL,
  street_1 text NOT NULL,
  street_2 text,
  city text NOT NULL,
  state_province text NOT NULL,
  postal_code text NOT NULL,
  country_code text NOT NULL DEFAULT 'USA',
  is_primary boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz
);
CREATE INDEX addresses_owner ON addresses (tenant_id, owner_id);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  email text NOT NULL CHECK (email = lower(email)),
  password_hash text NOT NULL,
  full_name text NOT NULL,
  is_active boolean NOT NULL DEFAULT true,
  email_verified_at timestamptz,
  last_login_at timestamptz,
  failed_login_count integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  settings jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, email)
);

CREATE TABLE providers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  user_id uuid,
  first_name text NOT NULL,
  last_name text NOT NULL,
  middle_name text,
  suffix text,
  credentials text NOT NULL,
  npi text NOT NULL,
  taxonomy_code text,
  contact_email text,
  contact_phone text,
  status text NOT NULL DEFAULT 'pending_verification',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, npi),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

CREATE TABLE provider_assignments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  facility_id uuid NOT NULL,
  provider_id uuid NOT NULL,
  is_primary_location boolean NOT NULL DEFAULT false,
  can_order boolean NOT NULL DEFAULT true,
  status text NOT NULL DEFAULT 'active',
  start_date date NOT NULL DEFAULT current_date,
  end_date date,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, facility_id, provider_id),
  FOREIGN KEY (tenant_id, facility_id) REFERENCES facilities (tenant_id, id),
  FOREIGN KEY (tenant_id, provider_id) REFERENCES providers (tenant_id, id),
  CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX provider_assignments_provider ON provider_assignments (tenant_id, provider_id);

CREATE TABLE permissions (
  key text PRIMARY KEY,
  module text NOT NULL,
  description text NOT NULL
);

CREATE TABLE roles (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  key text NOT NULL,
  name text NOT NULL,
  description text,
  is_system boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, key)
);

CREATE TABLE role_permissions (
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  role_id uuid NOT NULL,
  permission_key text NOT NULL REFERENCES permissions(key),
  PRIMARY KEY (role_id, permission_key),
  FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE user_roles (
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  user_id uuid NOT NULL,
  role_id uuid NOT NULL,
  PRIMARY KEY (user_id, role_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE memberships (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  user_id uuid NOT NULL,
  organization_id uuid,
  facility_id uuid,
  role text NOT NULL DEFAULT 'member',
  is_primary boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((organization_id IS NULL) <> (facility_id IS NULL)),
  UNIQUE NULLS NOT DISTINCT (tenant_id, user_id, organization_id, facility_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, organization_id) REFERENCES organizations (tenant_id, id),
  FOREIGN KEY (tenant_id, facility_id) REFERENCES facilities (tenant_id, id)
);
CREATE INDEX memberships_user ON memberships (tenant_id, user_id);

CREATE TABLE patients (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  facility_id uuid NOT NULL,
  status text NOT NULL DEFAULT 'active',
  mrn_enc bytea NOT NULL,
  mrn_index bytea NOT NULL,
  name_dob_index bytea NOT NULL,
  first_name_enc bytea NOT NULL,
  last_name_enc bytea NOT NULL,
  date_of_birth_enc bytea NOT NULL,
  sex_enc bytea,
  phone_enc bytea,
  email_enc bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, mrn_index),
  FOREIGN KEY (tenant_id, facility_id) REFERENCES facilities (tenant_id, id)
);
CREATE INDEX patients_facility ON patients (tenant_id, facility_id);
CREATE INDEX patients_name_dob ON patients (tenant_id, name_dob_index);

CREATE TABLE audit_log (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  actor_user_id uuid,
  action text NOT NULL,
  entity_type text NOT NULL,
  entity_id uuid,
  changes jsonb NOT NULL DEFAULT '{}',
  request_id text,
  ip_address inet,
  user_agent text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_entity ON audit_log (tenant_id, entity_type, entity_id);
CREATE INDEX audit_log_created ON audit_log (tenant_id, created_at);

CREATE TABLE phi_access_log (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  user_id uuid NOT NULL,
  patient_id uuid NOT NULL,
  fields text[] NOT NULL,
  action text NOT NULL DEFAULT 'view',
  reason text NOT NULL,
  operation_name text,
  operation_hash text NOT NULL,
  request_id text,
  ip_address inet,
  accessed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX phi_access_log_patient ON phi_access_log (tenant_id, patient_id, accessed_at);

CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  user_id uuid NOT NULL,
  token_hash bytea NOT NULL UNIQUE,
  family_id uuid NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  replaced_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
"""


def _role() -> tuple[str, str | None]:
    settings = get_settings()
    return settings.api_db_role, settings.api_db_password


def upgrade() -> None:
    role, password = _role()
    # Roles are cluster-wide: another database on this server may have made it already.
    login = f"LOGIN PASSWORD '{password}'" if password else "LOGIN"
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN "
        f"CREATE ROLE {role} {login} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE; "
        f"END IF; END $$"
    )
    # asyncpg runs one statement per call; no statement here has ";\n" inside it.
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            op.execute(statement)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    tenant_table("tenants", key="id", privileges="SELECT, UPDATE")  # operators make tenants
    op.execute(f"GRANT SELECT ON permissions, alembic_version TO {role}")
    op.execute("REVOKE EXECUTE ON FUNCTION tenant_id_for_slug(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION tenant_id_for_slug(text) TO {role}")
    for table in TENANT_TABLES:
        tenant_table(table, append_only=table in APPEND_ONLY, scope=SCOPED.get(table))


def downgrade() -> None:
    role, _ = _role()
    # The role itself stays: it is cluster-wide and may serve other databases.
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
    op.execute(f"REVOKE ALL ON SCHEMA public FROM {role}")
    for table in reversed(["tenants", "permissions", *TENANT_TABLES]):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    for fn in (
        "tenant_id_for_slug(text)",
        "app_tenant_id()",
        "app_scope_all()",
        "app_facility_ids()",
        "app_org_ids()",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("DROP EXTENSION IF EXISTS vector")
