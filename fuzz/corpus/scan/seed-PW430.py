class PermissionDenied(Exception):
    pass


def delete_project(user, project):
    assert user.is_admin, "admins only"  # ruleid: PW430
    project.delete()


def update_invoice(request, invoice):
    if invoice.locked:
        assert invoice.owner_id == request.user.id  # ruleid: PW430
    assert request.user.has_perm("billing.change_invoice")  # ruleid: PW430
    assert invoice.total >= 0  # ok: PW430
    if not request.user.is_staff:  # ok: PW430
        raise PermissionDenied()


def normalise(items):
    assert isinstance(items, list)  # ok: PW430
    return sorted(items)


def test_admin_can_delete(admin_user):
    assert admin_user.is_admin  # ok: PW430
