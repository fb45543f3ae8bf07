package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/hookbench/hookbench/fakes/tokenissuer"
	"github.com/hookbench/hookbench/registry"
	"github.com/hookbench/hookbench/registry/auth"
)

const realm = "https://auth.test/token"

func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// verifier trusts iss through its root certificate (or its JWKS).
func verifier(t *testing.T, iss *tokenissuer.Issuer, jwks bool) *auth.Token {
	t.Helper()
	opts := auth.TokenOptions{Realm: realm, Service: iss.Service(), Issuer: iss.Name()}
	if jwks {
		opts.JWKS = write(t, "jwks.json", iss.JWKS())
	} else {
		opts.RootCertBundle = write(t, "bundle.pem", iss.RootCertPEM())
	}
	v, err := auth.NewToken(opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func bearer(tok string) *http.Request {
	r := httptest.NewRequest("GET", "/v2/foo/bar/manifests/latest", nil)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}

var pullFoo = []registry.Access{{Type: "repository", Name: "foo/bar", Action: "pull"}}

func TestTokenKeyHeaders(t *testing.T) {
	cases := []struct {
		name string
		opts []tokenissuer.Option
		jwks bool
	}{
		{"kid thumbprint, rootcertbundle, ES256", nil, false},
		{"kid thumbprint, jwks", nil, true},
		{"x5c chain", []tokenissuer.Option{tokenissuer.WithKeyHeader(tokenissuer.X5C)}, false},
		{"libtrust kid", []tokenissuer.Option{tokenissuer.WithKeyHeader(tokenissuer.LibtrustKID)}, false},
		{"RS256", []tokenissuer.Option{tokenissuer.WithRSA()}, false},
		{"RS256 jwks", []tokenissuer.Option{tokenissuer.WithRSA()}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			iss, err := tokenissuer.New(tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			v := verifier(t, iss, tc.jwks)
			tok, err := iss.Sign("alice", []tokenissuer.Access{{Type: "repository", Name: "foo/bar", Actions: []string{"pull"}}})
			if err != nil {
				t.Fatal(err)
			}
			user, err := v.Authorized(bearer(tok), pullFoo...)
			if err != nil || user != "alice" {
				t.Fatalf("user %q err %v", user, err)
			}
		})
	}
}

func challengeOf(t *testing.T, err error) string {
	t.Helper()
	var ch *registry.Challenge
	if !errors.As(err, &ch) {
		t.Fatalf("err %v is not a challenge", err)
	}
	return ch.Header
}

func TestTokenRefusals(t *testing.T) {
	iss, err := tokenissuer.New()
	if err != nil {
		t.Fatal(err)
	}
	other, err := tokenissuer.New(tokenissuer.WithIssuer(iss.Name()), tokenissuer.WithService(iss.Service()))
	if err != nil {
		t.Fatal(err)
	}
	v := verifier(t, iss, false)
	now := time.Now()
	claims := func(mod func(*jwt.Claims)) jwt.Claims {
		c := jwt.Claims{Issuer: iss.Name(), Subject: "alice", Audience: jwt.Audience{iss.Service()},
			Expiry: jwt.NewNumericDate(now.Add(time.Minute)), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute))}
		mod(&c)
		return c
	}
	grant := []tokenissuer.Access{{Type: "repository", Name: "foo/bar", Actions: []string{"pull"}}}
	sign := func(i *tokenissuer.Issuer, mod func(*jwt.Claims)) string {
		tok, err := i.SignClaims(claims(mod), grant)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	// A symmetric token: a registry must never accept a MAC (or alg none).
	hs, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hsTok, _ := jwt.Signed(hs).Claims(claims(func(*jwt.Claims) {})).Serialize()
	// An unknown key named by a jwk header.
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwkSigner, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, (&jose.SignerOptions{EmbedJWK: true}))
	jwkTok, _ := jwt.Signed(jwkSigner).Claims(claims(func(*jwt.Claims) {})).Serialize()

	cases := []struct{ name, token string }{
		{"wrong issuer", sign(iss, func(c *jwt.Claims) { c.Issuer = "someone-else" })},
		{"wrong audience", sign(iss, func(c *jwt.Claims) { c.Audience = jwt.Audience{"other-registry"} })},
		{"expired beyond leeway", sign(iss, func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(-2 * auth.Leeway)) })},
		{"not yet valid beyond leeway", sign(iss, func(c *jwt.Claims) { c.NotBefore = jwt.NewNumericDate(now.Add(2 * auth.Leeway)) })},
		{"no exp", sign(iss, func(c *jwt.Claims) { c.Expiry = nil })},
		{"untrusted key", sign(other, func(*jwt.Claims) {})},
		{"HS256", hsTok},
		{"untrusted jwk header", jwkTok},
		{"garbage", "not.a.jwt"},
		{"tampered", sign(iss, func(*jwt.Claims) {})[:20] + "x" + sign(iss, func(*jwt.Claims) {})[21:]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			user, err := v.Authorized(bearer(tc.token), pullFoo...)
			if err == nil {
				t.Fatalf("accepted as %q", user)
			}
			want := `Bearer realm="` + realm + `",service="` + iss.Service() + `",scope="repository:foo/bar:pull",error="invalid_token"`
			if got := challengeOf(t, err); got != want {
				t.Errorf("challenge\n got %s\nwant %s", got, want)
			}
		})
	}
	t.Run("within leeway", func(t *testing.T) {
		tok := sign(iss, func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(-auth.Leeway / 2)) })
		if _, err := v.Authorized(bearer(tok), pullFoo...); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTokenScopes(t *testing.T) {
	iss, err := tokenissuer.New()
	if err != nil {
		t.Fatal(err)
	}
	v := verifier(t, iss, false)
	tok, err := iss.Sign("bob", []tokenissuer.Access{
		{Type: "repository", Name: "foo/bar", Actions: []string{"pull"}},
		{Type: "repository", Name: "team/app", Actions: []string{"*"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	push := []registry.Access{{Type: "repository", Name: "foo/bar", Action: "pull"}, {Type: "repository", Name: "foo/bar", Action: "push"}}
	_, err = v.Authorized(bearer(tok), push...)
	want := `Bearer realm="` + realm + `",service="` + iss.Service() + `",scope="repository:foo/bar:pull,push",error="insufficient_scope"`
	if got := challengeOf(t, err); got != want {
		t.Errorf("challenge\n got %s\nwant %s", got, want)
	}
	if !errors.Is(err, registry.ErrInsufficientScope) {
		t.Errorf("err %v is not ErrInsufficientScope", err)
	}
	for _, a := range []string{"pull", "push", "delete"} {
		if _, err := v.Authorized(bearer(tok), registry.Access{Type: "repository", Name: "team/app", Action: a}); err != nil {
			t.Errorf("%s on team/app (granted *): %v", a, err)
		}
	}
	catalog := registry.Access{Type: "registry", Name: "catalog", Action: "*"}
	if _, err := v.Authorized(bearer(tok), catalog); !errors.Is(err, registry.ErrInsufficientScope) {
		t.Errorf("catalog without grant: %v", err)
	}
	// The version check needs a valid token and nothing more.
	if user, err := v.Authorized(bearer(tok)); err != nil || user != "bob" {
		t.Errorf("version check: %q %v", user, err)
	}
	_, err = v.Authorized(bearer(""))
	if got := challengeOf(t, err); got != `Bearer realm="`+realm+`",service="`+iss.Service()+`"` {
		t.Errorf("no token, no scope: %s", got)
	}
	basic := bearer("")
	basic.SetBasicAuth("bob", "x")
	_, err = v.Authorized(basic, pullFoo...)
	if got := challengeOf(t, err); !strings.HasSuffix(got, `scope="repository:foo/bar:pull"`) {
		t.Errorf("basic credentials: %s", got)
	}
}

func TestTokenAutoRedirect(t *testing.T) {
	iss, err := tokenissuer.New()
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewToken(auth.TokenOptions{Service: iss.Service(), Issuer: iss.Name(),
		JWKS: write(t, "jwks.json", iss.JWKS()), AutoRedirect: true})
	if err != nil {
		t.Fatal(err)
	}
	r := bearer("")
	r.Host = "registry.test:5000"
	_, err = v.Authorized(r)
	if got := challengeOf(t, err); got != `Bearer realm="https://registry.test:5000/auth/token",service="`+iss.Service()+`"` {
		t.Errorf("challenge %s", got)
	}
}

func TestNewTokenErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := write(t, "x.pem", []byte("hello"))
	badJWKS := write(t, "x.json", []byte(`{"keys":[{"kty":"EC"}]}`))
	for _, o := range []auth.TokenOptions{
		{RootCertBundle: filepath.Join(dir, "missing.pem")},
		{RootCertBundle: notPEM},
		{JWKS: badJWKS},
		{},
	} {
		if _, err := auth.NewToken(o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestScope(t *testing.T) {
	got := auth.Scope([]registry.Access{
		{Type: "repository", Name: "a", Action: "push"},
		{Type: "repository", Name: "a", Action: "pull"},
		{Type: "repository", Name: "b", Action: "pull"},
	})
	if got != "repository:a:pull,push repository:b:pull" {
		t.Errorf("scope %q", got)
	}
}
