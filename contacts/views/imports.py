"""CSV import pages: upload, preview with validation report, confirm, status."""
from django.http import HttpResponse

from accounts.roles import Role, role_required


@role_required(Role.ADMIN, Role.MARKETER)
def import_list(request):
    return HttpResponse("imports")


@role_required(Role.ADMIN, Role.MARKETER)
def import_new(request):
    return HttpResponse("new")


@role_required(Role.ADMIN, Role.MARKETER)
def import_detail(request, pk):
    return HttpResponse("detail")
