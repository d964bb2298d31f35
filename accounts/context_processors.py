from .roles import Role, user_roles


def roles(request):
    held = user_roles(request.user) if hasattr(request, "user") else frozenset()
    return {
        "user_roles": held,
        "is_admin_role": Role.ADMIN in held,
        "is_marketer_role": Role.MARKETER in held,
        "is_rep_role": Role.INSIDE_SALES in held,
    }
