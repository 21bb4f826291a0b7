from django.utils import translation


class ApiLanguageMiddleware:
    """API clients choose their language with Accept-Language.

    The pages use URL prefixes (Georgian at /, English at /en/), so LocaleMiddleware gives every
    unprefixed path the default language; /api/ has no prefix and reads the header instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
