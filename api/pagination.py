from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    """`?page=N` (from 1) and `?page_size=` up to 500; PAGE_SIZE (50) by default."""

    page_size_query_param = "page_size"
    max_page_size = 500
    invalid_page_message = _("Page {page_number} does not exist: {message}.")
