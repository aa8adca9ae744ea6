async def test_login_and_me(tenant_a):
    data = await tenant_a.query("{ me { user { email } roles permissions tenant { slug } } }")
    assert data["me"]["user"]["email"] == tenant_a.email("owner")
    assert data["me"]["tenant"]["slug"] == tenant_a.slug
    assert "patients.read_phi" in data["me"]["permissions"]
