"""A caller's principal, remembered by a process until something it depends on changes.

`app_principal` reads the user, their roles, permissions, memberships, the session and
the tenant: half of the database's time for a compiled read. Each API process remembers
the principal it found, per session, with two version numbers, and later requests only
check that those are still current (`app_known_principal`, one index read), then scope
the transaction as `app_principal` would have.

`principal_versions` holds the numbers: one row per user whose principal changed, and one
per tenant (user_id all zeros) for what every user of the tenant depends on. Triggers bump
them in the transaction of the change, so a change and its new number commit together:

| change | bumps |
|---|---|
| a user's `is_active` or `email`, or the user deleted | that user |
| a row of `user_roles` or `memberships` | that user |
| a refresh token revoked or deleted (sign-out, reuse, rotation) | that user |
| a role's permissions or its key | the tenant |
| a facility created, deleted or moved to another organization | the tenant |
| the tenant (de)activated | the tenant |

Deletions through foreign keys (an organization's memberships, a role's grants) fire
the same triggers. The bump runs as the owner (SECURITY DEFINER) scoped to the changed
row's tenant, so an operator's change across tenants bumps each, and restores the
transaction's tenant after. The API role may only read the numbers, of its own tenant.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from alembic import op

from app.settings import get_settings
from migrations.rls import tenant_table

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

WHOLE_TENANT = "00000000-0000-0000-0000-000000000000"

SCHEMA = f"""
CREATE TABLE principal_versions (
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, user_id)
);

CREATE FUNCTION bump_principal_version(p_tenant_id uuid, p_user_id uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  scoped text := current_setting('app.tenant_id', true);
BEGIN
  PERFORM set_config('app.tenant_id', p_tenant_id::text, true);
  INSERT INTO principal_versions AS v (tenant_id, user_id) VALUES (p_tenant_id, p_user_id)
    ON CONFLICT (tenant_id, user_id) DO UPDATE SET version = v.version + 1;
  PERFORM set_config('app.tenant_id', coalesce(scoped, ''), true);
END $$;

CREATE FUNCTION principal_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
-- TG_ARGV[0]: the column naming the user whose principal changed, or '*' for the whole
-- tenant; TG_ARGV[1]: the column holding the tenant's id.
DECLARE
  rows jsonb[] := ARRAY[]::jsonb[];
  changed jsonb;
BEGIN
  IF TG_OP <> 'INSERT' THEN rows := array_append(rows, to_jsonb(OLD)); END IF;
  IF TG_OP <> 'DELETE' THEN rows := array_append(rows, to_jsonb(NEW)); END IF;
  FOREACH changed IN ARRAY rows LOOP
    PERFORM bump_principal_version(
      (changed ->> TG_ARGV[1])::uuid,
      CASE WHEN TG_ARGV[0] = '*' THEN '{WHOLE_TENANT}'::uuid ELSE (changed ->> TG_ARGV[0])::uuid END);
  END LOOP;
  RETURN NULL;
END $$;

CREATE TRIGGER principal_changed AFTER UPDATE OF is_active, email OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION principal_changed('id', 'tenant_id');

CREATE TRIGGER principal_changed AFTER INSERT OR UPDATE OR DELETE ON user_roles
  FOR EACH ROW EXECUTE FUNCTION principal_changed('user_id', 'tenant_id');

CREATE TRIGGER principal_changed AFTER INSERT OR UPDATE OR DELETE ON memberships
  FOR EACH ROW EXECUTE FUNCTION principal_changed('user_id', 'tenant_id');

CREATE TRIGGER principal_changed AFTER UPDATE OF revoked_at OR DELETE ON refresh_tokens
  FOR EACH ROW EXECUTE FUNCTION principal_changed('user_id', 'tenant_id');

CREATE TRIGGER principal_changed AFTER INSERT OR UPDATE OR DELETE ON role_permissions
  FOR EACH ROW EXECUTE FUNCTION principal_changed('*', 'tenant_id');

CREATE TRIGGER principal_changed AFTER UPDATE OF key ON roles
  FOR EACH ROW EXECUTE FUNCTION principal_changed('*', 'tenant_id');

CREATE TRIGGER principal_changed AFTER INSERT OR DELETE OR UPDATE OF organization_id ON facilities
  FOR EACH ROW EXECUTE FUNCTION principal_changed('*', 'tenant_id');

CREATE TRIGGER principal_changed AFTER UPDATE OF is_active ON tenants
  FOR EACH ROW EXECUTE FUNCTION principal_changed('*', 'id');

CREATE FUNCTION app_known_principal(p_tenant_id uuid, p_user_id uuid, p_user_version bigint,
    p_tenant_version bigint, p_scope text, p_facility_ids text, p_org_ids text)
RETURNS TABLE (current boolean)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = public, pg_temp AS $$
DECLARE
  found_user bigint;
  found_tenant bigint;
BEGIN
  PERFORM set_config('app.tenant_id', p_tenant_id::text, true),
          set_config('app.user_id', p_user_id::text, true),
          set_config('app.scope', 'memberships', true),
          set_config('app.facility_ids', '', true),
          set_config('app.org_ids', '', true);
  SELECT coalesce(max(v.version) FILTER (WHERE v.user_id = p_user_id), 0),
         coalesce(max(v.version) FILTER (WHERE v.user_id = '{WHOLE_TENANT}'), 0)
    INTO found_user, found_tenant
    FROM principal_versions v
    WHERE v.tenant_id = p_tenant_id AND v.user_id IN (p_user_id, '{WHOLE_TENANT}');
  IF found_user = p_user_version AND found_tenant = p_tenant_version THEN
    PERFORM set_config('app.scope', p_scope, true),
            set_config('app.facility_ids', p_facility_ids, true),
            set_config('app.org_ids', p_org_ids, true);
    RETURN QUERY SELECT true;
  ELSE
    RETURN QUERY SELECT false;  -- the caller looks the principal up again
  END IF;
END $$
"""

VERSIONS = f"""
    coalesce((SELECT v.version FROM principal_versions v
              WHERE v.tenant_id = p_tenant_id AND v.user_id = p_user_id), 0) AS user_version,
    coalesce((SELECT v.version FROM principal_versions v
              WHERE v.tenant_id = p_tenant_id AND v.user_id = '{WHOLE_TENANT}'), 0) AS tenant_version"""


def app_principal(with_versions: bool) -> str:
    """`app_principal` of 0006, and with the versions its row was current at (0007)."""
    return APP_PRINCIPAL.format(
        columns=",\n               user_version bigint, tenant_version bigint" if with_versions else "",
        versions="," + VERSIONS if with_versions else "",
        values=", p.user_version, p.tenant_version" if with_versions else "",
    )


APP_PRINCIPAL = """CREATE FUNCTION app_principal(p_tenant_id uuid, p_user_id uuid, p_session_id uuid)
RETURNS TABLE (email text, is_active boolean, tenant_active boolean, roles text[],
               permissions text[], org_ids uuid[], facility_ids uuid[], session_open boolean{columns})
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  p record;
BEGIN
  PERFORM set_config('app.tenant_id', p_tenant_id::text, true),
          set_config('app.user_id', p_user_id::text, true),
          set_config('app.scope', 'all', true);
  -- One statement, so one snapshot: the versions are those of what it read.
  SELECT u.email::text AS email, u.is_active,
    (SELECT t.is_active FROM tenants t WHERE t.id = u.tenant_id) AS tenant_active,
    coalesce((SELECT array_agg(DISTINCT r.key) FROM user_roles ur JOIN roles r ON r.id = ur.role_id
              WHERE ur.user_id = u.id), '{{}}')::text[] AS roles,
    coalesce((SELECT array_agg(DISTINCT rp.permission_key) FROM user_roles ur
              JOIN role_permissions rp ON rp.role_id = ur.role_id
              WHERE ur.user_id = u.id), '{{}}')::text[] AS permissions,
    coalesce((SELECT array_agg(DISTINCT x.org) FROM (
        SELECT ms.organization_id AS org FROM memberships ms
          WHERE ms.user_id = u.id AND ms.organization_id IS NOT NULL
        UNION SELECT f.organization_id FROM memberships ms JOIN facilities f ON f.id = ms.facility_id
          WHERE ms.user_id = u.id) x), '{{}}')::uuid[] AS org_ids,
    coalesce((SELECT array_agg(DISTINCT x.fac) FROM (
        SELECT ms.facility_id AS fac FROM memberships ms
          WHERE ms.user_id = u.id AND ms.facility_id IS NOT NULL
        UNION SELECT f.id FROM memberships ms JOIN facilities f ON f.organization_id = ms.organization_id
          WHERE ms.user_id = u.id) x), '{{}}')::uuid[] AS facility_ids,
    EXISTS (SELECT 1 FROM refresh_tokens rt
            WHERE rt.family_id = p_session_id AND rt.revoked_at IS NULL) AS session_open{versions}
  INTO p
  FROM users u WHERE u.id = p_user_id;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF p.is_active AND p.session_open AND p.tenant_active THEN
    PERFORM set_config('app.scope',
              CASE WHEN 'tenancy.scope_all' = ANY (p.permissions) THEN 'all' ELSE 'memberships' END, true),
            set_config('app.facility_ids', array_to_string(p.facility_ids, ','), true),
            set_config('app.org_ids', array_to_string(p.org_ids, ','), true);
  END IF;
  RETURN QUERY SELECT p.email, p.is_active, p.tenant_active, p.roles, p.permissions,
    p.org_ids, p.facility_ids, p.session_open{values};
END $$
"""

FUNCTIONS = (
    "app_principal(uuid, uuid, uuid)",
    "app_known_principal(uuid, uuid, bigint, bigint, text, text, text)",
)


def upgrade() -> None:
    for statement in SCHEMA.split(";\n\n"):
        if statement.strip():
            op.execute(statement)
    op.execute("DROP FUNCTION app_principal(uuid, uuid, uuid)")
    op.execute(app_principal(with_versions=True))
    tenant_table("principal_versions", privileges="SELECT")
    role = get_settings().api_db_role
    for signature in FUNCTIONS:
        op.execute(f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {role}")
    for signature in ("bump_principal_version(uuid, uuid)", "principal_changed()"):
        op.execute(f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP FUNCTION app_known_principal(uuid, uuid, bigint, bigint, text, text, text)")
    op.execute("DROP FUNCTION app_principal(uuid, uuid, uuid)")
    op.execute(app_principal(with_versions=False))
    op.execute(f"REVOKE EXECUTE ON FUNCTION {FUNCTIONS[0]} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {FUNCTIONS[0]} TO {get_settings().api_db_role}")
    for table in (
        "users",
        "user_roles",
        "memberships",
        "refresh_tokens",
        "role_permissions",
        "roles",
        "facilities",
        "tenants",
    ):
        op.execute(f"DROP TRIGGER principal_changed ON {table}")
    op.execute("DROP FUNCTION principal_changed()")
    op.execute("DROP FUNCTION bump_principal_version(uuid, uuid)")
    op.execute("DROP TABLE principal_versions")
