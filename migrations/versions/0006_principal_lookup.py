"""A request's principal in one round trip: `app_principal(tenant, user, session)`.

Every authenticated request used to send three statements before its first read: the
tenant settings, the principal lookup, then the settings that narrow the transaction to
the user's memberships. This function does all three in one call. It is SECURITY
INVOKER, so row-level security binds the API role exactly as before: it scopes the
transaction to the whole tenant (`app.tenant_id`, `app.user_id`, `app.scope = 'all'`),
reads the user, their roles, permissions and memberships and whether the session is
open, and then, for a user who may act (active, session open, tenant active), narrows
the transaction (`app.scope`, `app.facility_ids`, `app.org_ids`) as `load_principal`
did. Every setting is transaction-local (`set_config(..., true)`); the function's own
`search_path` clause restores only `search_path` on exit. No user: no row.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from alembic import op

from app.settings import get_settings

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SIGNATURE = "app_principal(uuid, uuid, uuid)"

FUNCTION = """
CREATE FUNCTION app_principal(p_tenant_id uuid, p_user_id uuid, p_session_id uuid)
RETURNS TABLE (email text, is_active boolean, tenant_active boolean, roles text[],
               permissions text[], org_ids uuid[], facility_ids uuid[], session_open boolean)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  p record;
BEGIN
  PERFORM set_config('app.tenant_id', p_tenant_id::text, true),
          set_config('app.user_id', p_user_id::text, true),
          set_config('app.scope', 'all', true);
  SELECT u.email::text AS email, u.is_active,
    (SELECT t.is_active FROM tenants t WHERE t.id = u.tenant_id) AS tenant_active,
    coalesce((SELECT array_agg(DISTINCT r.key) FROM user_roles ur JOIN roles r ON r.id = ur.role_id
              WHERE ur.user_id = u.id), '{}')::text[] AS roles,
    coalesce((SELECT array_agg(DISTINCT rp.permission_key) FROM user_roles ur
              JOIN role_permissions rp ON rp.role_id = ur.role_id
              WHERE ur.user_id = u.id), '{}')::text[] AS permissions,
    coalesce((SELECT array_agg(DISTINCT x.org) FROM (
        SELECT ms.organization_id AS org FROM memberships ms
          WHERE ms.user_id = u.id AND ms.organization_id IS NOT NULL
        UNION SELECT f.organization_id FROM memberships ms JOIN facilities f ON f.id = ms.facility_id
          WHERE ms.user_id = u.id) x), '{}')::uuid[] AS org_ids,
    coalesce((SELECT array_agg(DISTINCT x.fac) FROM (
        SELECT ms.facility_id AS fac FROM memberships ms
          WHERE ms.user_id = u.id AND ms.facility_id IS NOT NULL
        UNION SELECT f.id FROM memberships ms JOIN facilities f ON f.organization_id = ms.organization_id
          WHERE ms.user_id = u.id) x), '{}')::uuid[] AS facility_ids,
    EXISTS (SELECT 1 FROM refresh_tokens rt
            WHERE rt.family_id = p_session_id AND rt.revoked_at IS NULL) AS session_open
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
    p.org_ids, p.facility_ids, p.session_open;
END $$
"""


def upgrade() -> None:
    op.execute(FUNCTION)
    op.execute(f"REVOKE EXECUTE ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {get_settings().api_db_role}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
