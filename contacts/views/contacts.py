"""Contact pages. Views validate and delegate; queries live in selectors."""
from django.http import HttpResponse

from accounts.roles import ALL_ROLES, Role, role_required


@role_required(Role.ADMIN, Role.MARKETER)
def overview(request):
    return HttpResponse("overview")


@role_required(*ALL_ROLES)
def contact_list(request):
    return HttpResponse("list")


@role_required(*ALL_ROLES)
def contact_detail(request, pk):
    return HttpResponse("detail")
