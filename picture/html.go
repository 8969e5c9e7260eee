package picture

import (
	"fmt"
	"html/template"
	"io"
)

// Page is a self-contained HTML page: figures as inline SVG, the run's
// parameters and a summary of the input's schema. It fetches nothing.
type Page struct {
	Title   string
	Params  [][2]string // name, value
	Schema  [][]string  // a table: the first row is the header
	Figures []*Figure
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; margin: 24px; color: #1b1f24; background: #fff; }
h1 { font-size: 20px; }
h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 13px; }
td, th { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; }
th { background: #f3f5f7; }
figure { margin: 16px 0; }
figure svg { max-width: 100%; height: auto; border: 1px solid #e1e4e8; }
nav a { margin-right: 10px; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{if .Params}}<h2>Parameters</h2>
<table>{{range .Params}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table>{{end}}
{{if .Schema}}<h2>Input</h2>
<table>{{range $i, $row := .Schema}}<tr>{{range $row}}{{if eq $i 0}}<th>{{.}}</th>{{else}}<td>{{.}}</td>{{end}}{{end}}</tr>{{end}}</table>{{end}}
<h2>Sequences</h2>
<nav>{{range $i, $f := .Figures}}<a href="#fig{{$i}}">{{$f.Title}}</a> {{end}}</nav>
{{range $i, $f := .Figures}}<figure id="fig{{$i}}">{{$f.SVG}}</figure>
{{end}}</body>
</html>
`))

// WriteHTML writes the page.
func (p Page) WriteHTML(w io.Writer) error {
	type fig struct {
		Title string
		SVG   template.HTML
	}
	data := struct {
		Title   string
		Params  [][2]string
		Schema  [][]string
		Figures []fig
	}{Title: p.Title, Params: p.Params, Schema: p.Schema}
	for _, f := range p.Figures {
		svg, err := f.inlineSVG()
		if err != nil {
			return err
		}
		// The SVG comes from gonum's writer, which escapes the text it holds.
		data.Figures = append(data.Figures, fig{Title: f.Title, SVG: template.HTML(svg)})
	}
	if err := pageTemplate.Execute(w, data); err != nil {
		return fmt.Errorf("writing HTML: %w", err)
	}
	return nil
}
