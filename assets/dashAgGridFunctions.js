// Functions dash-ag-grid calls by name from a grid's props ({"function": "name(params)"}).
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

// OWASP's CSV-injection rule, as dashboard/components/csv_export.py applies it on the server:
// a text cell a spreadsheet would run as a formula is exported with a leading quote.
dagfuncs.csvSafeCell = function (params) {
    var text = params.formatValue(params.value);
    if (typeof params.value === "number" || typeof text !== "string") {
        return text;
    }
    return /^[=+\-@\t\r]/.test(text) ? "'" + text : text;
};
