package auth

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/hookbench/hookbench/registry"
)

// Leeway is the clock skew allowed on a token's exp and nbf, as in
// Distribution.
const Leeway = 60 * time.Second

// signingAlgorithms are the JWS algorithms a token may be signed with
// (asymmetric only: a shared secret would let the registry mint tokens).
var signingAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
}

// Errors a Token answers with, wrapped in a *registry.Challenge.
var (
	ErrTokenRequired = errors.New("authorization token required")
	ErrInvalidToken  = errors.New("invalid token")
)

// TokenOptions are Distribution's auth.token settings.
type TokenOptions struct {
	Realm            string // where clients get tokens
	Service          string // the audience tokens must name
	Issuer           string // the iss tokens must carry
	RootCertBundle   string // PEM file: certificates whose keys, or chains to which, sign tokens
	JWKS             string // JSON Web Key Set file of signing keys (by kid)
	AutoRedirect     bool   // realm is https://<Host><AutoRedirectPath> instead of Realm
	AutoRedirectPath string // default /auth/token
}

// Token checks Bearer JWTs from a Docker token issuer and grants what
// their access claim lists. It is a registry.AccessController.
type Token struct {
	opts  TokenOptions
	roots *x509.CertPool
	keys  map[string]crypto.PublicKey // by kid: jwks kid, RFC 7638 thumbprint or libtrust id of root keys
	now   func() time.Time
}

// NewToken loads the signing keys named in opts.
func NewToken(opts TokenOptions) (*Token, error) {
	t := &Token{opts: opts, roots: x509.NewCertPool(), keys: map[string]crypto.PublicKey{}, now: time.Now}
	if t.opts.AutoRedirect && t.opts.AutoRedirectPath == "" {
		t.opts.AutoRedirectPath = "/auth/token"
	}
	if opts.RootCertBundle != "" {
		certs, err := loadCerts(opts.RootCertBundle)
		if err != nil {
			return nil, fmt.Errorf("rootcertbundle: %w", err)
		}
		for _, c := range certs {
			t.roots.AddCert(c)
			t.trust(c.PublicKey)
		}
	}
	if opts.JWKS != "" {
		data, err := os.ReadFile(opts.JWKS)
		if err != nil {
			return nil, fmt.Errorf("jwks: %w", err)
		}
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(data, &set); err != nil {
			return nil, fmt.Errorf("jwks %s: not a JSON Web Key Set: %v", opts.JWKS, err)
		}
		for i, k := range set.Keys {
			if k.KeyID == "" {
				return nil, fmt.Errorf("jwks %s: key %d has no kid", opts.JWKS, i)
			}
			t.keys[k.KeyID] = k.Public().Key
		}
	}
	if len(t.keys) == 0 {
		return nil, errors.New("rootcertbundle/jwks: no token signing key in either")
	}
	return t, nil
}

// trust adds a root key under the ids issuers use for it.
func (t *Token) trust(pub crypto.PublicKey) {
	if id := thumbprint(pub); id != "" {
		t.keys[id] = pub
	}
	if id := LibtrustKeyID(pub); id != "" {
		t.keys[id] = pub
	}
}

func loadCerts(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return certs, nil
}

// thumbprint is the RFC 7638 SHA-256 thumbprint, base64url.
func thumbprint(pub crypto.PublicKey) string {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// LibtrustKeyID is the key id Docker's libtrust gives a public key (and
// older token issuers put in kid): the SHA-256 of its PKIX DER, first 240
// bits in base32, in groups of four joined by colons.
func LibtrustKeyID(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	s := strings.TrimRight(base32.StdEncoding.EncodeToString(sum[:30]), "=")
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// ResourceActions is one entry of a token's access claim.
type ResourceActions struct {
	Type    string   `json:"type"`
	Class   string   `json:"class,omitempty"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// Claims are a registry token's claims.
type Claims struct {
	jwt.Claims
	Access []ResourceActions `json:"access"`
}

// Authorized implements registry.AccessController.
func (t *Token) Authorized(r *http.Request, access ...registry.Access) (string, error) {
	scheme, raw, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || raw == "" || !strings.EqualFold(scheme, "bearer") {
		return "", t.challenge(r, access, ErrTokenRequired)
	}
	claims, err := t.Verify(strings.TrimSpace(raw))
	if err != nil {
		return "", t.challenge(r, access, fmt.Errorf("%w: %v", ErrInvalidToken, err))
	}
	for _, a := range access {
		if !granted(claims.Access, a) {
			return "", t.challenge(r, access, registry.ErrInsufficientScope)
		}
	}
	return claims.Subject, nil
}

func granted(list []ResourceActions, a registry.Access) bool {
	for _, ra := range list {
		if ra.Type == a.Type && ra.Name == a.Name &&
			(slices.Contains(ra.Actions, a.Action) || slices.Contains(ra.Actions, "*")) {
			return true
		}
	}
	return false
}

// Verify checks a raw JWT's signature (by a key from the x5c chain to a
// root, a trusted jwk, or a trusted kid, in that order, as Distribution),
// issuer, audience and times, and returns its claims.
func (t *Token) Verify(raw string) (*Claims, error) {
	tok, err := jwt.ParseSigned(raw, signingAlgorithms)
	if err != nil {
		return nil, fmt.Errorf("malformed token: %v", err)
	}
	if len(tok.Headers) != 1 {
		return nil, errors.New("want exactly one signature")
	}
	key, err := t.signingKey(tok.Headers[0])
	if err != nil {
		return nil, err
	}
	var c Claims
	if err := tok.Claims(key, &c); err != nil {
		return nil, fmt.Errorf("signature: %v", err)
	}
	if c.Expiry == nil {
		return nil, errors.New("no exp claim")
	}
	err = c.ValidateWithLeeway(jwt.Expected{
		Issuer:      t.opts.Issuer,
		AnyAudience: jwt.Audience{t.opts.Service},
		Time:        t.now(),
	}, Leeway)
	if err != nil {
		return nil, err
	}
	if c.Issuer != t.opts.Issuer { // Expected skips an empty issuer
		return nil, jwt.ErrInvalidIssuer
	}
	return &c, nil
}

func (t *Token) signingKey(h jose.Header) (crypto.PublicKey, error) {
	verify := x509.VerifyOptions{Roots: t.roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	chains, err := h.Certificates(verify)
	switch {
	case err == nil:
		return chains[0][0].PublicKey, nil
	case !errors.Is(err, jose.ErrMissingX5cHeader):
		return nil, fmt.Errorf("x5c chain: %v", err)
	case h.JSONWebKey != nil:
		want := thumbprint(h.JSONWebKey.Key)
		for _, k := range t.keys {
			if thumbprint(k) == want {
				return k, nil
			}
		}
		if certs := h.JSONWebKey.Certificates; len(certs) > 0 {
			verify.Intermediates = x509.NewCertPool()
			for _, c := range certs[1:] {
				verify.Intermediates.AddCert(c)
			}
			if _, err := certs[0].Verify(verify); err != nil {
				return nil, fmt.Errorf("jwk x5c chain: %v", err)
			}
			if thumbprint(certs[0].PublicKey) != want {
				return nil, errors.New("jwk: key is not its certificate's")
			}
			return certs[0].PublicKey, nil
		}
		return nil, errors.New("jwk header: not a trusted key")
	case h.KeyID != "":
		if k, ok := t.keys[h.KeyID]; ok {
			return k, nil
		}
		return nil, fmt.Errorf("signed by untrusted key %q", h.KeyID)
	}
	return nil, errors.New("header names no signing key (x5c, jwk or kid)")
}

// challenge is the refusal for access, with Distribution's
// WWW-Authenticate parameters.
func (t *Token) challenge(r *http.Request, access []registry.Access, err error) error {
	realm := t.opts.Realm
	if t.opts.AutoRedirect {
		scheme := "https"
		if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
			scheme = p
		}
		realm = (&url.URL{Scheme: scheme, Host: r.Host, Path: t.opts.AutoRedirectPath}).String()
	}
	h := fmt.Sprintf("Bearer realm=%q,service=%q", realm, t.opts.Service)
	if s := Scope(access); s != "" {
		h += fmt.Sprintf(",scope=%q", s)
	}
	switch {
	case errors.Is(err, ErrInvalidToken):
		h += `,error="invalid_token"`
	case errors.Is(err, registry.ErrInsufficientScope):
		h += `,error="insufficient_scope"`
	}
	return &registry.Challenge{Header: h, Err: err}
}

// Scope is the scope parameter for access: "type:name:action,action"
// per resource, resources joined by spaces, in a stable order.
func Scope(access []registry.Access) string {
	type res struct{ typ, name string }
	actions := map[res][]string{}
	var order []res
	for _, a := range access {
		k := res{a.Type, a.Name}
		if _, ok := actions[k]; !ok {
			order = append(order, k)
		}
		if !slices.Contains(actions[k], a.Action) {
			actions[k] = append(actions[k], a.Action)
		}
	}
	scopes := make([]string, 0, len(order))
	for _, k := range order {
		acts := actions[k]
		sort.Strings(acts)
		scopes = append(scopes, k.typ+":"+k.name+":"+strings.Join(acts, ","))
	}
	return strings.Join(scopes, " ")
}
